"""Swiss payment references: QR reference (QRR, mod 10 recursive) and ISO 11649 creditor
reference (SCOR, `RF` + mod 97 check digits)."""

_MOD10_TABLE = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)


def qr_reference(digits: str) -> str:
    """A 27-digit QRR: `digits` left-padded to 26, plus the mod-10-recursive check digit."""
    body = digits.rjust(26, "0")
    carry = 0
    for char in body:
        carry = _MOD10_TABLE[(carry + int(char)) % 10]
    return body + str((10 - carry) % 10)


def creditor_reference(reference: str) -> str:
    """An ISO 11649 creditor reference `RFcc<reference>`."""
    rearranged = f"{reference}RF00".upper()
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return f"RF{98 - int(numeric) % 97:02d}{reference}"
