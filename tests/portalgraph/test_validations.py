"""`extensions.Validations`: validation results found by the document's identity give what
validating the document gives, per schema and rule set, within the size bound."""

from graphql import NoSchemaIntrospectionCustomRule, parse, specified_rules
from strawberry.schema.schema import validate_document

from portalgraph.extensions import Validations
from schema.root import build_schema

RULES = tuple(specified_rules)
NO_INTROSPECTION = (*RULES, NoSchemaIntrospectionCustomRule)


def test_results_by_identity_are_those_of_validation() -> None:
    schema = build_schema([])._schema
    validations = Validations(maxsize=2)
    introspecting = parse("{ __schema { queryType { name } } }")
    wrong = parse("{ noSuchField }")

    for document, rules in ((introspecting, RULES), (introspecting, NO_INTROSPECTION),
                            (wrong, RULES)):  # fmt: skip
        expected = [e.message for e in validate_document(schema, document, rules)]
        first = validations(schema, document, rules)
        assert [e.message for e in first] == expected
        assert validations(schema, document, rules) is first  # found, not validated again
    assert validations(schema, introspecting, RULES) == []
    assert validations(schema, introspecting, NO_INTROSPECTION)  # the rules are in the key

    equal = parse("{ noSuchField }")  # an equal document, another object: validated itself
    assert [e.message for e in validations(schema, equal, RULES)] == [
        e.message for e in validations(schema, wrong, RULES)
    ]
    assert len(validations._results) <= 2
