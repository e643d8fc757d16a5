"""Helpers the content pages share: turning a service's errors into a message."""

from django.core.exceptions import PermissionDenied, ValidationError


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or "Your role may not do this."
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field.replace('_', ' ')}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def tags_from_post(post: object) -> dict[str, list[str]]:
    """Tag inputs: checkboxes for stages and personas, comma-separated text for the rest."""
    get_list = post.getlist  # type: ignore[attr-defined]
    return {
        "stage": get_list("tag_stage"),
        "persona": get_list("tag_persona"),
        "product": [v.strip() for v in post.get("tag_product", "").split(",") if v.strip()],  # type: ignore[attr-defined]
        "campaign": [v.strip() for v in post.get("tag_campaign", "").split(",") if v.strip()],  # type: ignore[attr-defined]
    }
