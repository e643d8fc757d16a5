from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "closedloop.meetings"
    label = "meetings"
    verbose_name = "Goals and meetings"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from closedloop.crm.models import Deal
        from closedloop.meetings.receivers import deal_saved

        post_save.connect(deal_saved, sender=Deal, dispatch_uid="meetings.deal_saved")
