"""The API's one error shape as schemas, for operations that document their error responses."""

from ninja import Field, Schema


class ErrorItem(Schema):
    loc: list[str | int] = Field(
        description='Where the problem is, e.g. ["events", 3, "ts"]; empty for the whole request.'
    )
    msg: str = Field(description="What is wrong, in words.")


class ErrorsOut(Schema):
    errors: list[ErrorItem]
