"""Refusals the services raise; pages flash them, the API answers them as 4xx JSON in Chinese."""


class BusinessError(Exception):
    """A rule of the mechanism refused the action; nothing was changed."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs beside, when one does
        if status_code is not None:
            self.status_code = status_code


class PermissionRefused(BusinessError):
    status_code = 403


class NotFound(BusinessError):
    """Outside the user's scope or absent: never confirm that a record exists."""

    status_code = 404

    def __init__(self, message: str = "记录不存在或无权访问"):
        super().__init__(message)


class StaleEdit(BusinessError):
    status_code = 409

    def __init__(self, message: str = "该记录已被他人修改，请刷新页面后在最新内容上重新编辑。您的修改未保存。"):
        super().__init__(message)
