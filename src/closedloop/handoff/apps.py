from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "closedloop.handoff"
    label = "handoff"
    verbose_name = "Handoff"

    def ready(self) -> None:
        from closedloop.crm.signals import contacts_entered_stage
        from closedloop.handoff.receivers import route_sales_ready

        contacts_entered_stage.connect(route_sales_ready, dispatch_uid="handoff.route_sales_ready")
