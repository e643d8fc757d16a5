"""When each periodic job last ran. One row per job; claiming a run is one conditional UPDATE, so
any number of workers on any database run each job once per interval."""

from django.db import models


class JobRun(models.Model):
    name = models.CharField(max_length=60, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_seconds = models.FloatField(null=True, blank=True)
    last_result = models.CharField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
