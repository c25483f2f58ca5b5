"""The autonomous loop on `make run`'s demo, over HTTP only: new tickets are classified,
agents' feedback gives their true category, a reviewer approves the resulting examples, a
retrain compares the candidate with the active version on examples neither fit, and the
retrain policy starts a canary (or an A/B test) with a better candidate.

Run against a running `make run` (the token is the last line it printed):
    .venv/bin/python benchmarks/loop_demo.py --token aio_... [--url http://127.0.0.1:8000]
        [--policy canary|ab_test] [--tickets 400] [--seed 11]
Prints every call's outcome and the run's comparison. New tickets come from the demo's own
generator under another seed, so they are new texts of the same helpdesk.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiops.demo_data import generate_helpdesk  # noqa: E402  (pure: no Django needed)


class Api:
    def __init__(self, url: str, token: str):
        self.url, self.token = url.rstrip("/"), token

    def __call__(
        self, method: str, path: str, body: dict | None = None, *, allow: tuple = ()
    ) -> dict:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if error.code in allow:
                return {"status_code": error.code, **json.loads(error.read() or b"{}")}
            raise SystemExit(f"{method} {path} -> {error.code}: {error.read().decode()}") from None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--policy", choices=["canary", "ab_test"], default="canary")
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    api = Api(args.url, args.token)

    policy = api(
        "PATCH",
        "/api/retrain-policies/category",
        {"onBetterCandidate": args.policy, "candidatePercentage": 20},
    )
    print(f"policy: onBetterCandidate={policy['onBetterCandidate']}, candidatePercentage=20")

    before = api("GET", "/api/training-examples?task=category&validation_status=pending&limit=1")
    corrected = 0
    for ticket in generate_helpdesk(seed=args.seed, n_tickets=args.tickets).tickets:
        operation = api(
            "POST", "/api/ai/classify", {"subject": ticket.subject, "body": ticket.body}
        )
        right = operation["category"] == ticket.category
        corrected += not right
        api(
            "POST",
            "/api/ai/feedback",
            {
                "operationType": "classification",
                "operationId": operation["operationId"],
                "feedback": "positive" if right else "negative",
                **({} if right else {"correctedCategory": ticket.category}),
            },
        )
    print(f"classified {args.tickets} new tickets; feedback: {corrected} corrections")

    pending_path = "/api/training-examples?task=category&validation_status=pending&limit=1000"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # the feedback sweep runs seconds after, and every minute
        if api("GET", pending_path)["count"] - before["count"] >= args.tickets * 0.9:
            break
        time.sleep(5)
    approved = 0
    while pending := [row["id"] for row in api("GET", pending_path)["results"]]:
        approved += len(
            api("POST", "/api/training-examples/review", {"ids": pending, "decision": "approve"})
        )
    print(f"reviewer approved {approved} pending examples")

    run = api("POST", "/api/ai/train", {"task": "category"}, allow=(409,))
    if run.get("status_code") == 409:
        # Beat's retrain check may have queued a run meanwhile (one run at a time): follow it.
        print(f"POST /api/ai/train -> 409: {run['message']}")
        for status in ("queued", "running"):
            busy = api("GET", f"/api/training-runs?task=category&status={status}")["results"]
            if busy:
                run = {"runId": busy[0]["runId"], "status": status}
                break
        else:
            raise SystemExit("the busy run finished before it could be followed: run again")
        print(f"following run {run['runId']} ({run['status']})")
    else:
        print(f"POST /api/ai/train -> run {run['runId']} {run['status']}")
    while run["status"] in ("queued", "running"):
        time.sleep(5)
        run = api("GET", f"/api/training-runs/{run['runId']}")
    print(json.dumps({k: run[k] for k in ("status", "modelVersion", "comparison")}, indent=2))
    noise = run["labelNoise"]
    print(
        f"run took {run['durationS']} s, label noise {noise.get('seconds')} s: "
        f"{noise.get('flagged')} flagged, {noise.get('excluded')} excluded ({noise.get('action')})"
    )
    active = api("GET", "/api/ai/models?view=active&task=category")
    print("serving now:", json.dumps(active, indent=2)[:1500])


if __name__ == "__main__":
    main()
