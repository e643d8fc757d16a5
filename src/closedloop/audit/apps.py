from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "closedloop.audit"
    label = "audit"
    verbose_name = "Audit log"
