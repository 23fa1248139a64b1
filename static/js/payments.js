/*
 * The pay step: mounts Stripe's Payment Element and confirms the payment with Stripe.
 *
 * Card details go from the Payment Element straight to Stripe; this page only ever holds the
 * PaymentIntent's client secret. On success Stripe.js sends the browser to the return URL, whose
 * server-side view asks Stripe what really happened (the redirect itself is never trusted).
 * A declined card or a failed 3-D Secure check comes back here as an error: the patient can try
 * again while the hold lasts. The button is disabled while a confirmation is in flight, so a
 * double click cannot send two. Kept in a static file (no inline script) for a strict CSP.
 */
(function () {
  "use strict";

  var form = document.getElementById("payment-form");
  if (!form) {
    return;
  }
  var button = document.getElementById("payment-submit");
  var errors = document.getElementById("payment-errors");
  var loading = document.getElementById("payment-loading");
  var label = button.textContent;

  function showError(message) {
    errors.textContent = message;
    errors.hidden = false;
    errors.setAttribute("tabindex", "-1");
    errors.focus();
  }

  function setBusy(busy) {
    button.disabled = busy;
    button.setAttribute("aria-busy", busy ? "true" : "false");
    button.textContent = busy ? "Paying…" : label;
  }

  if (typeof window.Stripe !== "function") {
    if (loading) {
      loading.remove();
    }
    showError("The secure card form could not load. Please reload the page, or call the clinic to pay.");
    return;
  }

  var stripe = window.Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  var paymentElement = elements.create("payment", { layout: "tabs" });
  paymentElement.mount("#payment-element");
  if (loading) {
    loading.remove();
  }
  button.disabled = false;

  var inFlight = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (inFlight) {
      return;
    }
    inFlight = true;
    errors.hidden = true;
    setBusy(true);
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        // Only reached when Stripe did not redirect: the payment did not go through.
        var error = result && result.error;
        if (error && (error.type === "card_error" || error.type === "validation_error")) {
          showError(error.message);
        } else {
          showError("Something went wrong with the payment. Nothing was charged; please try again.");
        }
      })
      .catch(function () {
        showError("Something went wrong with the payment. Nothing was charged; please try again.");
      })
      .then(function () {
        inFlight = false;
        setBusy(false);
      });
  });
})();
