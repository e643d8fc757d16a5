"""closedloop score — lead scoring from the command line (docs/scoring.md):

score evaluate --csv FILE --target COLUMN [--exclude COL,...] [--seed N]   how well a model ranks a CSV's leads
score points [--json]                                                   rescore every contact by points rules
score train [--json]                                                    train the predictive model on won/lost deals
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Lead scoring: `evaluate` a CSV, rescore `points`, `train` the predictive model."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="held-out AUC and log loss of a model trained on a CSV")
        evaluate.add_argument("--csv", required=True, help="the exported CSV (`,` or `;` separated)")
        evaluate.add_argument("--target", required=True, help="the column with the outcome, e.g. converted")
        evaluate.add_argument(
            "--exclude", default="", help="comma-separated columns to leave out, e.g. leaky ones: duration"
        )
        evaluate.add_argument("--seed", type=int, default=0, help="random seed of the split and the model")
        points = sub.add_parser("points", help="rescore every contact with the points rules")
        points.add_argument("--json", action="store_true")
        train = sub.add_parser("train", help="train the predictive model on won vs lost deals")
        train.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "evaluate":
            self._evaluate(options)
        elif action == "points":
            self._points(options)
        else:
            self._train(options)

    def _evaluate(self, options: dict[str, Any]) -> None:
        from closedloop.scoring.evaluate import evaluate_csv
        from closedloop.scoring.tabular import TableError

        exclude = [c.strip() for c in options["exclude"].split(",") if c.strip()]
        try:
            result = evaluate_csv(
                options["csv"], target=options["target"], exclude=exclude, seed=options["seed"]
            )
        except TableError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result, indent=2))

    def _points(self, options: dict[str, Any]) -> None:
        from closedloop.scoring.points_service import contacts_rescore

        result = contacts_rescore()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
            return
        self.stdout.write(
            f"Scored {result.scored} contacts in {result.seconds:.2f} s ({result.changed} scores changed)."
        )

    def _train(self, options: dict[str, Any]) -> None:
        from closedloop.scoring.services import scoring_model_train

        run = scoring_model_train(by=None)
        payload = {"status": run.status, "explanation": run.explanation, "metrics": run.metrics}
        if options["json"]:
            self.stdout.write(json.dumps(payload, indent=2))
            return
        self.stdout.write(f"{run.get_status_display()}: {run.explanation}")
