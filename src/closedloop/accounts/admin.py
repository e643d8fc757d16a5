from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from closedloop.accounts.models import ApiToken, Team, User


@admin.register(User)
class ClosedloopUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("closedloop", {"fields": ("role", "team", "manager")}))


admin.site.register(Team)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest")
