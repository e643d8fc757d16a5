"""Django admin for operators. Changes to users made here are audited like those made on the
/users/ pages: role, team, manager and active status go through accounts.services (same checks,
same audit entries); any other changed field is recorded as one "user.change" entry."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from closedloop.accounts import services
from closedloop.accounts.models import ApiToken, Team, User

# Fields with a service of their own; saving them directly would skip its checks and its entry.
SERVICE_FIELDS = ("role", "team", "manager", "is_active")


@admin.register(User)
class ClosedloopUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("closedloop", {"fields": ("role", "team", "manager")}))  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Users are deactivated, never deleted: the audit log and the history refer to them.
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form

        class KeepsAnAdmin(form):  # type: ignore[misc, valid-type]
            # The same refusal as on /users/, shown on the form instead of failing the save.
            def clean(self) -> Any:
                data = super().clean()
                services.user_check_keeps_an_admin(
                    user=obj, role=data.get("role", obj.role), is_active=data.get("is_active", obj.is_active)
                )
                return data

        return KeepsAnAdmin

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor: Any = request.user
        if not change:
            super().save_model(request, obj, form, change)
            services.user_record_created(user=obj, actor=actor, how="Django admin")
            return
        old = User.objects.get(pk=obj.pk)
        wanted = {name: getattr(obj, name) for name in SERVICE_FIELDS}
        other = [f for f in form.changed_data if f not in SERVICE_FIELDS]
        for name in SERVICE_FIELDS:
            setattr(obj, name, getattr(old, name))
        super().save_model(request, obj, form, change)
        if other:
            services.user_record_change(user=obj, actor=actor, old=old, fields=other)
        services.user_change(
            user=obj, actor=actor, role=wanted["role"], team=wanted["team"], manager=wanted["manager"]
        )
        if wanted["is_active"] != old.is_active:
            change_active = services.user_reactivate if wanted["is_active"] else services.user_deactivate
            change_active(user=obj, actor=actor)
        obj.refresh_from_db()


admin.site.register(Team)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only here: tokens are created and revoked on the /users/ pages or with createtoken,
    which record it in the audit log."""

    list_display = ("name", "user", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "digest",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
