"""FAB's `q` argument checked against its schema with a validator built once per schema.

FAB's `@rison(schema)` (list, record and `_info` of every API resource) calls
`jsonschema.validate(instance, schema)` on each request, which first checks the schema itself against
the JSON-Schema metaschema and builds a new validator: 2–10 ms of every API read, spent on a schema
that never changes. Here the same check (same errors, same `best_match` message) runs on a validator
compiled the first time a schema is seen.
"""
from __future__ import annotations

import jsonschema
from jsonschema.exceptions import best_match


class CompiledValidation:
    """Stands in for the `jsonschema` module inside `flask_appbuilder.api`, which uses only
    `validate` and `ValidationError`."""

    ValidationError = jsonschema.ValidationError

    def __init__(self):
        self._validators: dict[int, tuple[object, object]] = {}

    def validator(self, schema):
        known = self._validators.get(id(schema))
        if known is None or known[0] is not schema:  # the id of a schema since collected: build again
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            known = (schema, cls(schema))
            self._validators[id(schema)] = known
        return known[1]

    def validate(self, instance, schema, *args, **kwargs):
        if args or kwargs:  # a validator class or format checker asked for: jsonschema's own path
            return jsonschema.validate(instance, schema, *args, **kwargs)
        error = best_match(self.validator(schema).iter_errors(instance))
        if error is not None:
            raise error


def install() -> None:
    import flask_appbuilder.api as fab_api

    if not isinstance(fab_api.jsonschema, CompiledValidation):
        fab_api.jsonschema = CompiledValidation()
