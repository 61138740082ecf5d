"""Localized labels of the unified statuses (de, fr, it, en); enums stay stable UPPER_SNAKE."""

LANGUAGES = ("de", "fr", "it", "en")
SUPPORTED_LOCALES = ("de-CH", "fr-CH", "it-CH", "en", "de-DE")

_LABELS: dict[str, tuple[str, str, str, str]] = {
    # quotes
    "DRAFT": ("Entwurf", "Brouillon", "Bozza", "Draft"),
    "REQUESTED": ("Angefragt", "Demandée", "Richiesta", "Requested"),
    "SENT": ("Offen", "Envoyée", "Inviata", "Sent"),
    "ACCEPTED": ("Angenommen", "Acceptée", "Accettata", "Accepted"),
    "DECLINED": ("Abgelehnt", "Refusée", "Rifiutata", "Declined"),
    "EXPIRED": ("Abgelaufen", "Expirée", "Scaduta", "Expired"),
    # orders
    "CONFIRMED": ("Bestätigt", "Confirmée", "Confermato", "Confirmed"),
    "IN_PROGRESS": ("In Bearbeitung", "En cours", "In corso", "In progress"),
    "DELIVERED": ("Geliefert", "Livrée", "Consegnato", "Delivered"),
    "COMPLETED": ("Abgeschlossen", "Terminée", "Completato", "Completed"),
    "ON_HOLD": ("Angehalten", "Bloquée", "Sospeso", "On hold"),
    # invoices
    "OPEN": ("Offen", "Ouverte", "Aperta", "Open"),
    "PARTIALLY_PAID": ("Teilweise bezahlt", "Partiellement payée", "Pagata in parte",
                       "Partially paid"),
    "IN_PAYMENT": ("Zahlung läuft", "Paiement en cours", "Pagamento in corso", "In payment"),
    "PAID": ("Bezahlt", "Payée", "Pagata", "Paid"),
    "REVERSED": ("Storniert (Gutschrift)", "Annulée par avoir", "Stornata", "Reversed"),
    "UNCOLLECTIBLE": ("Uneinbringlich", "Irrécouvrable", "Inesigibile", "Uncollectible"),
    # payments
    "PENDING": ("Ausstehend", "En attente", "In attesa", "Pending"),
    "REQUIRES_ACTION": ("Bestätigung nötig", "Action requise", "Azione richiesta",
                        "Requires action"),
    "PROCESSING": ("In Verarbeitung", "En traitement", "In elaborazione", "Processing"),
    "AUTHORIZED": ("Autorisiert", "Autorisé", "Autorizzato", "Authorized"),
    "SUCCEEDED": ("Erfolgreich", "Réussi", "Riuscito", "Succeeded"),
    "FAILED": ("Fehlgeschlagen", "Échoué", "Non riuscito", "Failed"),
    "CANCELED": ("Abgebrochen", "Annulé", "Annullato", "Canceled"),
    "REFUNDED": ("Rückerstattet", "Remboursé", "Rimborsato", "Refunded"),
    "PARTIALLY_REFUNDED": ("Teilweise rückerstattet", "Partiellement remboursé",
                           "Rimborsato in parte", "Partially refunded"),
    "DISPUTED": ("Beanstandet", "Contesté", "Contestato", "Disputed"),
    # tickets
    "NEW": ("Neu", "Nouveau", "Nuovo", "New"),
    "WAITING_ON_CUSTOMER": ("Wartet auf Ihre Antwort", "En attente de votre réponse",
                            "In attesa della vostra risposta", "Waiting on you"),
    "RESOLVED": ("Gelöst", "Résolu", "Risolto", "Resolved"),
    "CLOSED": ("Geschlossen", "Fermé", "Chiuso", "Closed"),
    "CANCELLED": ("Storniert", "Annulé", "Annullato", "Cancelled"),
    # deliveries
    "PLANNED": ("Geplant", "Planifiée", "Pianificata", "Planned"),
    "READY": ("Bereit", "Prête", "Pronta", "Ready"),
    "SHIPPED": ("Versandt", "Expédiée", "Spedita", "Shipped"),
    # bookings (REQUESTED as for quotes)
    "RESCHEDULED": ("Verschoben", "Reportée", "Spostata", "Rescheduled"),
    "NO_SHOW": ("Nicht erschienen", "Absence", "Assenza", "No-show"),
}  # fmt: skip


def language_of(locale: str) -> str:
    language = locale.split("-")[0].lower()
    return language if language in LANGUAGES else "en"


def status_label(status: str, locale: str) -> str:
    labels = _LABELS.get(status)
    if labels is None:
        return status.replace("_", " ").capitalize()
    return labels[LANGUAGES.index(language_of(locale))]


def negotiate_locale(accept_language: str | None, preferred: str | None) -> str:
    """The first supported locale of `Accept-Language`, then the user's, then de-CH."""
    candidates = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if tag:
            candidates.append(tag)
    if preferred:
        candidates.append(preferred.replace("_", "-"))
    for tag in candidates:
        for locale in SUPPORTED_LOCALES:
            if tag.lower() == locale.lower():
                return locale
        for locale in SUPPORTED_LOCALES:
            if language_of(tag) == language_of(locale) and tag.split("-")[0].lower() in LANGUAGES:
                return locale
    return "de-CH"
