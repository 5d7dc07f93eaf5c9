"""One request path for workflow steps (函告, 签收, 函复, 印发, 审定 …), pages and API alike.

A step is declared once per mechanism: the service that does it, the schema of its body and the
sentence that confirms it. The page posts the body as a form and the API as JSON; both are read by
the same schema (same types, same Chinese messages), run the same service, commit the same way and
meet the same refusals — the page flashes them, the API answers them as 4xx JSON. The API's OpenAPI
spec is generated from the same declaration, so a client built from it sends what the server reads.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

from flask import abort, flash, redirect, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load
from marshmallow import validate as checks

from app.extensions import db
from app.security.scope import current_user, get_in_scope
from app.services.errors import BusinessError, NotFound, StaleEdit, database_refusal
from app.views.openapi import NO_NUL, NOT_BLANK

# --------------------------------------------------------------------------- body fields
# The messages are the services' own ("请填写函复内容", "…格式无效，应为 YYYY-MM-DD"), so a refusal reads
# the same whichever layer meets it first.


class _Text(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class _Printable(checks.Regexp):
    """When required, not blank; never NUL (the input guard refuses it first). The spec's own text
    patterns (app/views/openapi.py), so the spec of a step body says what the generic ones say."""

    def __init__(self, label: str, required: bool):
        super().__init__(NOT_BLANK if required else NO_NUL, error=f"{label}含有无效字符")
        self.label, self.required = label, required

    def __call__(self, value):
        if self.required and not value:
            raise ValidationError(f"请填写{self.label}")
        return super().__call__(value)


def text(label: str, *, required: bool = False, limit: int = 2000) -> fields.Field:
    """A free-text field: stripped; required means not blank."""
    validators = [_Printable(label, required), checks.Length(max=limit, error=f"{label}不能超过{limit}字")]
    return _Text(required=required, allow_none=not required, validate=validators,
                 metadata={"description": label},
                 error_messages={"required": f"请填写{label}", "null": f"请填写{label}",
                                 "invalid": f"{label}格式无效"})


def day(label: str, *, required: bool = False) -> fields.Field:
    """A date as YYYY-MM-DD."""
    return fields.Date(required=required, allow_none=not required, metadata={"description": label},
                       error_messages={"required": f"请填写{label}", "null": f"请填写{label}",
                                       "invalid": f"{label}格式无效，应为 YYYY-MM-DD"})


def moment(label: str, *, required: bool = False) -> fields.Field:
    """A date and time (YYYY-MM-DDTHH:MM; a page's datetime-local input sends that form)."""
    return fields.DateTime(required=required, allow_none=not required, metadata={"description": label},
                           error_messages={"required": f"请填写{label}", "null": f"请填写{label}",
                                           "invalid": f"{label}格式无效，应为 YYYY-MM-DD HH:MM"})


def choice(label: str, values: dict, *, required: bool = False) -> fields.Field:
    """One of a coded set; the spec lists the codes, the message their Chinese names."""
    allowed = "、".join(f"{key}（{name}）" for key, name in values.items())
    return fields.String(required=required, allow_none=not required,
                         validate=checks.OneOf(list(values), error=f"{label}的取值无效：{{input}}；可选：{allowed}"),
                         metadata={"description": label},
                         error_messages={"required": f"请选择{label}", "null": f"请选择{label}"})


def number(label: str, *, required: bool = False, minimum: int | None = None, maximum: int | None = None):
    """An integer (a year, a count, a record's id)."""
    validators = []
    if minimum is not None or maximum is not None:
        bounds = f"{minimum if minimum is not None else ''}–{maximum if maximum is not None else ''}"
        validators.append(checks.Range(min=minimum, max=maximum, error=f"{label}应在 {bounds} 之间"))
    return fields.Integer(required=required, allow_none=not required, strict=False, validate=validators,
                          metadata={"description": label},
                          error_messages={"required": f"请填写{label}", "null": f"请填写{label}",
                                          "invalid": f"{label}应为整数"})


def pick(label: str, *, required: bool = False) -> fields.Field:
    """One record chosen from a list (a unit, a meeting): its id."""
    return fields.Integer(required=required, allow_none=not required, strict=False, metadata={"description": label},
                          error_messages={"required": f"请选择{label}", "null": f"请选择{label}",
                                          "invalid": f"{label}应为记录编号"})


def numbers(label: str, *, required: bool = False, absent: Any = list) -> fields.Field:
    """Several record ids (a page posts the field once per value; blank values are dropped, so a
    hidden empty twin says "none chosen"). `absent=None` tells an absent field from an empty list."""
    return fields.List(fields.Integer(error_messages={"invalid": f"{label}应为记录编号"}), required=required,
                       load_default=absent, metadata={"description": label},
                       error_messages={"required": f"请选择{label}", "invalid": f"{label}应为记录编号的列表"})


def flag(label: str, *, default: bool = False) -> fields.Field:
    """Yes or no (JSON true/false; a page's checkbox sends 1, its hidden twin 0); absent is `default`."""
    return fields.Boolean(load_default=default, metadata={"description": label},
                          error_messages={"invalid": f"{label}应为是或否"})


class StepBody(Schema):
    """A step's body. Blank form fields are absent; fields a page adds (next, csrf_token) are ignored."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _blank_is_absent(self, data, **kwargs):
        if not isinstance(data, dict):
            raise ValidationError("请求体必须是 JSON 对象", "_schema")
        return {key: value for key, value in data.items() if value not in ("", None) or not self._optional(key)}

    def _optional(self, key) -> bool:
        field = self.fields.get(key)
        return field is not None and not field.required


class NoBody(StepBody):
    """A step that needs nothing but the record (签收, 审定)."""


# --------------------------------------------------------------------------- the declaration

@dataclass(frozen=True)
class Step:
    """A workflow step: `run(session, record, user, **body)` does it; `done` confirms it."""

    run: Callable[..., Any]
    done: str | Callable[[Any, Any], str]
    body: type[StepBody] = NoBody
    summary: str = ""
    files: str | None = None  # the multipart field whose uploads go to the service as `files`
    created: bool = False  # the step makes a new record (修正纪要, 任务): the API answers 201 with its `id`

    def confirm(self, record, result) -> str:
        """The confirmation; `done` may be a function of the record and the service's result."""
        return self.done(record, result) if callable(self.done) else self.done

    def read(self) -> dict:
        """The body, from JSON (API) or a form (pages and multipart API calls), through the schema."""
        if request.is_json:
            source = request.get_json(silent=True)
            if not isinstance(source, dict):
                raise BusinessError("请求体必须是 JSON 对象", 400)
        else:
            source = {}
            schema_fields = self.body().fields
            for key in request.form:
                values = request.form.getlist(key)
                many = isinstance(schema_fields.get(key), fields.List)
                source[key] = [v for v in values if v.strip()] if many else values[-1]
        try:
            data = self.body().load(source)
        except ValidationError as err:
            raise BodyRefused(err.messages)
        if self.files:
            data["files"] = [f for f in request.files.getlist(self.files) if f and f.filename]
        return data

    def perform(self, record) -> Any:
        """Read the body, run the service, commit; a refusal leaves nothing changed."""
        body = self.read()
        try:
            result = self.run(db.session, record, current_user(), **body)
            commit()
        except BusinessError:
            db.session.rollback()
            raise
        return result


class BodyRefused(BusinessError):
    """The body does not fit the step's schema (422), each message beside its field."""

    def __init__(self, messages):
        self.errors = messages if isinstance(messages, dict) else {"_schema": messages}
        super().__init__("；".join(dict.fromkeys(_messages(self.errors))) or "提交的内容无效", 422)


def _messages(value):
    """Every message in marshmallow's errors (a list field's are keyed by the item's index)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, list):
        for item in value:
            yield from _messages(item)
    else:
        yield str(value)


@contextmanager
def rollback_on_refusal():
    """A refusal undoes what was written (FAB copies a form onto the record before our checks), and
    a database refusal (stale version, unique index) reaches the user as a Chinese sentence."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    try:
        yield
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit()
    except IntegrityError as exc:
        db.session.rollback()
        raise database_refusal(exc)
    except Exception:
        db.session.rollback()
        raise


def commit() -> None:
    """Commit a step; a database refusal becomes a BusinessError in Chinese, with nothing changed."""
    with rollback_on_refusal():
        db.session.commit()


# --------------------------------------------------------------------------- the two answers

def safe_next(default: str) -> str:
    """Where a page step returns: the form's `next` when it is a local path, else `default`."""
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


def page_answer(step: Step, record, next_url: str | Callable[[Any], str]):
    """Run a step from a page form: flash its confirmation or its refusal, back to `next_url` (or
    to `next_url(result)`, the service's result or None when refused: a new record's page)."""
    result = None
    try:
        result = step.perform(record)
        flash(step.confirm(record, result), "success")
    except NotFound:
        abort(404)
    except BusinessError as exc:
        flash(exc.message, "danger")
    return redirect(safe_next(next_url(result) if callable(next_url) else next_url))


def api_answer(api, step: Step, record, present: Callable[[Any, Any], dict]):
    """Run a step from the API: 200 {message, result} or the refusal as 4xx JSON."""
    try:
        result = step.perform(record)
    except BodyRefused as exc:
        return api.response(422, message=exc.message, errors=exc.errors)
    except BusinessError as exc:
        return api.response(exc.status_code, message=exc.message)
    if step.created:
        return api.response(201, message=step.confirm(record, result), id=result.id, result=present(record, result))
    return api.response(200, message=step.confirm(record, result), result=present(record, result))


def record_or_404(model, pk):
    try:
        return get_in_scope(db.session, model, pk)
    except NotFound:
        abort(404)


# --------------------------------------------------------------------------- the spec

class StepAnswer(Schema):
    message = fields.String(required=True, metadata={"description": "确认的话"})
    result = fields.Dict(metadata={"description": "办理后的记录（各资源见其说明）"})


class Refusal(Schema):
    message = fields.String(required=True, metadata={"description": "拒绝的原因"})
    errors = fields.Dict(metadata={"description": "字段 → 提示（请求体不合要求时）"})


def body_component(api_name: str, step_name: str) -> str:
    return f"{api_name}.{step_name}"


def step_operation(api_name: str, step_name: str, step: Step, result_component: str | None) -> dict:
    """The OpenAPI operation of a step endpoint, from its declaration."""
    body_ref = {"$ref": f"#/components/schemas/{body_component(api_name, step_name)}"}
    content = {"application/json": {"schema": body_ref}}
    if step.files:
        content["multipart/form-data"] = {"schema": {"allOf": [body_ref, {"type": "object", "properties": {
            step.files: {"type": "array", "items": {"type": "string", "format": "binary"}}}}]}}
    answer: dict = {"$ref": "#/components/schemas/StepAnswer"}
    if result_component:
        answer = {"allOf": [answer, {"type": "object", "properties": {
            "result": {"$ref": f"#/components/schemas/{result_component}"}}}]}
    done = step.done if isinstance(step.done, str) else step.summary
    refusal = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Refusal"}}}}
    if step.created:
        answer = {"allOf": [answer, {"type": "object", "properties": {
            "id": {"type": "integer", "description": "新记录的编号"}}}]}
    return {
        "summary": step.summary or done,
        "parameters": [{"in": "path", "name": "pk", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}],
        "requestBody": {"required": False, "content": content},
        "responses": {
            "201" if step.created else "200": {"description": done,
                                               "content": {"application/json": {"schema": answer}}},
            "400": {"description": "请求体不是 JSON 对象", **refusal},
            "401": {"$ref": "#/components/responses/401"},
            "403": {"description": "无此操作权限", **refusal},
            "404": {"description": "记录不存在或无权访问", **refusal},
            "409": {"description": "当前状态不允许此操作，或记录已被他人修改", **refusal},
            "422": {"description": "请求体不合要求", **refusal},
        },
    }


__all__ = ["Step", "StepBody", "NoBody", "text", "day", "moment", "choice", "number", "pick", "numbers", "flag",
           "page_answer", "api_answer", "record_or_404", "safe_next", "commit", "BodyRefused"]

