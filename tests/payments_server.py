"""localstripe on loopback with its store in memory, for the payment tests (and for trying payments by hand).

localstripe's command line binds every interface and pickles its store to a fixed
/tmp/localstripe.pickle; here its aiohttp app runs in a thread on 127.0.0.1 (a free port by
default) and the store never leaves memory. Two small extensions stand in for what real Stripe
does and localstripe 1.15 does not:

* **Cancel with a reason.** ``POST /v1/payment_intents/<id>/cancel`` accepts
  ``cancellation_reason`` (localstripe refuses any parameter) and reports it on the intent, so a
  test can see which reason the portal sent.
* **Stripe.js's confirm.** ``POST /js.stripe.com/v3/double/payment_intents/<id>/confirm`` is what
  Stripe.js does when the Payment Element confirms with a card: authorised by the publishable
  key and the intent's client secret (never the secret key), it creates the card PaymentMethod,
  puts it on the intent and confirms; a retry after a decline starts a new charge, as on Stripe.
  localstripe's own ``/_authenticate`` route then completes or fails 3-D Secure.

``stripe_double.js`` (next to this file) is the browser side: a small stand-in for Stripe.js v3
(``Stripe()``, ``elements()``, the Payment Element, ``confirmPayment``) that talks to these routes.
localstripe's own fake Stripe.js has no ``confirmPayment``.

By hand: ``.venv/bin/python -m tests.payments_server`` prints the settings to export.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import stripe
from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError

SECRET_KEY = "sk_test_clinic_portal"
PUBLISHABLE_KEY = "pk_test_clinic_portal"
WEBHOOK_SECRET = "whsec_test_clinic_portal"
DOUBLE_JS = Path(__file__).with_name("stripe_double.js")

# --- Patches, applied once, before localstripe's server module builds its routes --------------

# Keep the store in memory: no pickle in /tmp shared with anything else on the machine.
resources.store.dump_to_disk = lambda: None  # type: ignore[method-assign]

_original_cancel = resources.PaymentIntent._api_cancel.__func__  # type: ignore[attr-defined]


def _cancel_with_reason(cls, id, cancellation_reason=None, **kwargs):
    intent = _original_cancel(cls, id, **kwargs)
    intent.cancellation_reason = cancellation_reason
    return intent


resources.PaymentIntent._api_cancel = classmethod(_cancel_with_reason)  # type: ignore[method-assign,assignment]
resources.extra_apis[:] = [
    (method, url, resources.PaymentIntent._api_cancel if url.endswith("/cancel") and "payment_intents" in url else func)
    for method, url, func in resources.extra_apis
]
server = importlib.import_module("localstripe.server")  # builds its routes from the patched list


async def _double_confirm(request: web.Request) -> web.Response:
    """Stripe.js confirming a PaymentIntent with card details from the Payment Element."""
    try:
        data = json.loads(await request.text() or "{}")
    except ValueError:
        raise UserError(400, "Bad request") from None
    intent = resources.PaymentIntent._api_retrieve(request.match_info["id"])
    if not str(data.get("key", "")).startswith("pk_") or data.get("client_secret") != intent.client_secret:
        raise UserError(401, "Unauthorized")
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        raise UserError(
            400,
            f"This PaymentIntent's status is {intent.status}, so it cannot be confirmed.",
            {"code": "payment_intent_unexpected_state"},
        )
    card = data.get("card") or {}
    method = resources.PaymentMethod(
        type="card",
        card={
            "number": str(card.get("number", "")).replace(" ", ""),
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
            "cvc": str(card.get("cvc", "")),
        },
    )
    intent.payment_method = method.id
    intent.latest_charge = None  # a new attempt after a decline is a new charge
    intent._authentication_failed = False
    try:
        intent._confirm(on_failure_now=intent._report_failure)
    except UserError as exc:
        body = exc.body
        body["error"]["payment_intent"] = intent._export()
        return server.json_response(body, status=exc.code)
    return server.json_response(intent._export())


def stripe_double_js(api_base: str) -> str:
    """The Stripe.js double, pointed at this localstripe."""
    return DOUBLE_JS.read_text().replace("__LOCALSTRIPE_URL__", api_base.rstrip("/"))


async def _double_js(request: web.Request) -> web.Response:
    base = f"{request.scheme}://{request.host}"
    return web.Response(text=stripe_double_js(base), content_type="application/javascript")


server.app.router.add_post("/js.stripe.com/v3/double/payment_intents/{id}/confirm", _double_confirm)
server.app.router.add_get("/js.stripe.com/v3/double/", _double_js)


# --- Running it ----------------------------------------------------------------------------------


@dataclass
class LocalStripe:
    """A running localstripe and the helpers tests use to act as Stripe.js or as Stripe's dashboard."""

    url: str
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    runner: web.AppRunner

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/double/"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def _get(self, path: str, **params) -> dict:
        response = requests.get(f"{self.url}{path}", params=params, auth=(SECRET_KEY, ""), timeout=10)
        response.raise_for_status()
        return response.json()

    def _all(self, path: str, **params) -> list[dict]:
        """Every item of a list endpoint, page by page (localstripe lists in creation order)."""
        items: list[dict] = []
        while True:
            page = self._get(path, limit=100, **params, **({"starting_after": items[-1]["id"]} if items else {}))
            items += page["data"]
            if not page.get("has_more"):
                return items

    # As the browser's Stripe.js would.
    def confirm_card(self, client_secret: str, number: str = "4242424242424242") -> tuple[int, dict]:
        intent_id = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{self.url}/js.stripe.com/v3/double/payment_intents/{intent_id}/confirm",
            data=json.dumps(
                {
                    "key": PUBLISHABLE_KEY,
                    "client_secret": client_secret,
                    "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                }
            ),
            timeout=10,
        )
        return response.status_code, response.json()

    def authenticate(self, client_secret: str, *, success: bool) -> tuple[int, dict]:
        """Complete (or fail) 3-D Secure, as the customer does in Stripe's authentication dialog."""
        intent_id = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{self.url}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": client_secret}),
            timeout=10,
        )
        return response.status_code, response.json()

    # As Stripe's dashboard would show.
    def intent(self, intent_id: str) -> dict:
        return self._get(f"/v1/payment_intents/{intent_id}")

    def intents(self) -> list[dict]:
        return self._all("/v1/payment_intents")

    def intents_for(self, reference: str) -> list[dict]:
        """The intents created for one appointment (by the metadata the portal sets)."""
        return [i for i in self.intents() if i.get("metadata", {}).get("appointment") == reference]

    def refunds(self, intent_id: str) -> list[dict]:
        return self._all("/v1/refunds", payment_intent=intent_id)

    def events(self, type: str | None = None, intent_id: str | None = None) -> list[dict]:
        """Events localstripe generated, oldest first (optionally of one type and one intent)."""
        events = self._all("/v1/events", **({"type": type} if type else {}))
        if intent_id:
            events = [e for e in events if e["data"]["object"].get("id") == intent_id]
        return sorted(events, key=lambda e: (e["created"], e["id"]))

    def register_webhook(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        response = requests.post(f"{self.url}/_config/webhooks/portal", json={"url": url, "secret": secret}, timeout=10)
        response.raise_for_status()

    def forget_webhooks(self) -> None:
        importlib.import_module("localstripe.webhooks")._webhooks.clear()


def signed(payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """A webhook body and its Stripe-Signature header, signed as Stripe (or an attacker) would."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp or int(time.time()))
    return body.encode(), header


def start(host: str = "127.0.0.1", port: int = 0) -> LocalStripe:
    """Start localstripe in a daemon thread on ``host``:``port`` (0: a free port) and wait until it answers."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(server.app)
    ready = threading.Event()
    address: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, host, port)
        loop.run_until_complete(site.start())
        address["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="localstripe", daemon=True)
    thread.start()
    if not ready.wait(timeout=20):
        raise RuntimeError("localstripe did not start")
    return LocalStripe(url=f"http://{host}:{address['port']}", loop=loop, thread=thread, runner=runner)


def closed_port_url() -> str:
    """An address where nothing listens: Stripe "unreachable" for the outage tests."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


if __name__ == "__main__":
    running = start(port=8420)
    print(
        "localstripe with the Stripe.js double is listening. Export these and run `make run`:\n"
        f"  STRIPE_SECRET_KEY={SECRET_KEY}\n"
        f"  STRIPE_PUBLISHABLE_KEY={PUBLISHABLE_KEY}\n"
        f"  STRIPE_WEBHOOK_SECRET={WEBHOOK_SECRET}\n"
        f"  STRIPE_API_BASE={running.url}\n"
        f"  STRIPE_JS_URL={running.js_url}\n"
        "Webhooks go to http://127.0.0.1:8000/payments/stripe/webhook/. Ctrl-C stops."
    )
    running.register_webhook("http://127.0.0.1:8000/payments/stripe/webhook/")
    with contextlib.suppress(KeyboardInterrupt):
        running.thread.join()
