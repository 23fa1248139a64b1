/*
 * A test double of Stripe.js v3, just enough of it for the portal's pay page:
 * Stripe(publishableKey).elements({clientSecret}).create("payment").mount(selector), and
 * stripe.confirmPayment({elements, confirmParams: {return_url}, redirect}).
 *
 * Served by the tests (never by the portal) and talking to localstripe, which it reaches at
 * __LOCALSTRIPE_URL__. Like Stripe.js it sends card details to the payment server only, authorised
 * by the publishable key and the client secret; shows a 3-D Secure dialog when the intent
 * requires action ("Complete authentication" / "Fail authentication", as Stripe's test dialog);
 * on success sends the browser to return_url with payment_intent, payment_intent_client_secret
 * and redirect_status; on failure resolves with {error: {type, code, message}}.
 */
(function () {
  "use strict";

  var API = "__LOCALSTRIPE_URL__";

  function post(url, body) {
    // A body without a Content-Type header keeps this a "simple" cross-origin request (no
    // preflight), which localstripe answers with its CORS headers.
    return fetch(url, { method: "POST", body: JSON.stringify(body) }).then(function (response) {
      return response.json().then(function (json) {
        return { ok: response.ok, status: response.status, body: json };
      });
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function PaymentElement() {
    this.inputs = null;
  }

  PaymentElement.prototype.mount = function (target) {
    var root = typeof target === "string" ? document.querySelector(target) : target;
    var box = el("div", { class: "stripe-double", "data-testid": "stripe-double" });
    box.appendChild(el("p", { class: "stripe-double__badge" }, "Test card form (Stripe.js test double)"));
    var fields = [
      ["number", "Card number", "1234 1234 1234 1234", "cc-number"],
      ["expiry", "Expiry date", "MM / YY", "cc-exp"],
      ["cvc", "Security code", "CVC", "cc-csc"],
    ];
    this.inputs = {};
    var self = this;
    fields.forEach(function (field) {
      var id = "stripe-double-" + field[0];
      var label = el("label", { for: id }, field[1]);
      var input = el("input", { id: id, name: field[0], placeholder: field[2], autocomplete: field[3], inputmode: "numeric" });
      box.appendChild(label);
      box.appendChild(input);
      self.inputs[field[0]] = input;
    });
    root.appendChild(box);
  };

  PaymentElement.prototype.card = function () {
    var number = this.inputs.number.value.replace(/\s+/g, "");
    var expiry = this.inputs.expiry.value.replace(/\s+/g, "").split("/");
    var cvc = this.inputs.cvc.value.trim();
    if (number.length !== 16) {
      return { error: { type: "validation_error", code: "incomplete_number", message: "Your card number is incomplete." } };
    }
    if (expiry.length !== 2 || !expiry[0] || !expiry[1]) {
      return { error: { type: "validation_error", code: "incomplete_expiry", message: "Your card's expiry date is incomplete." } };
    }
    if (cvc.length !== 3) {
      return { error: { type: "validation_error", code: "incomplete_cvc", message: "Your card's security code is incomplete." } };
    }
    return { card: { number: number, exp_month: parseInt(expiry[0], 10), exp_year: 2000 + parseInt(expiry[1], 10), cvc: cvc } };
  };

  function threeDSecure() {
    return new Promise(function (resolve) {
      var dialog = el("div", { role: "dialog", "aria-modal": "true", "aria-label": "3D Secure authentication", class: "stripe-double-3ds" });
      dialog.appendChild(el("p", {}, "3D Secure test authentication"));
      var ok = el("button", { type: "button" }, "Complete authentication");
      var fail = el("button", { type: "button" }, "Fail authentication");
      dialog.appendChild(ok);
      dialog.appendChild(fail);
      Object.assign(dialog.style, { position: "fixed", top: "30%", left: "50%", transform: "translateX(-50%)",
        background: "#fff", border: "3px solid #635bff", padding: "1.5rem", zIndex: 1000 });
      document.body.appendChild(dialog);
      ok.addEventListener("click", function () { dialog.remove(); resolve(true); });
      fail.addEventListener("click", function () { dialog.remove(); resolve(false); });
      ok.focus();
    });
  }

  function asError(body) {
    var error = (body && body.error) || {};
    var code = error.code || "";
    var type = code === "card_declined" ? "card_error" : error.type || "api_error";
    return { error: { type: type, code: code, message: error.message || "Your payment could not be completed." } };
  }

  window.Stripe = function (publishableKey) {
    return {
      elements: function (options) {
        var clientSecret = options && options.clientSecret;
        var element = null;
        return {
          clientSecret: clientSecret,
          create: function (type) {
            if (type !== "payment") {
              throw new Error("This test double only has the Payment Element.");
            }
            element = new PaymentElement();
            return element;
          },
          getElement: function () {
            return element;
          },
        };
      },

      confirmPayment: function (options) {
        var elements = options.elements;
        var clientSecret = elements.clientSecret;
        var intentId = clientSecret.split("_secret_")[0];
        var returnUrl = options.confirmParams && options.confirmParams.return_url;
        var details = elements.getElement().card();
        if (details.error) {
          return Promise.resolve(details);
        }
        var auth = { key: publishableKey, client_secret: clientSecret };
        return post(API + "/js.stripe.com/v3/double/payment_intents/" + intentId + "/confirm",
                    Object.assign({ card: details.card }, auth))
          .then(function (result) {
            if (!result.ok) {
              return asError(result.body);
            }
            var intent = result.body;
            if (intent.status !== "requires_action") {
              return intent;
            }
            return threeDSecure().then(function (passed) {
              return post(API + "/v1/payment_intents/" + intentId + "/_authenticate?success=" + passed, auth);
            }).then(function (authenticated) {
              if (!authenticated.ok) {
                return asError(authenticated.body);
              }
              if (authenticated.body.status === "requires_payment_method") {
                return { error: { type: "card_error", code: "payment_intent_authentication_failure",
                  message: "We are unable to authenticate your payment method. Please choose a different payment method and try again." } };
              }
              return authenticated.body;
            });
          })
          .then(function (outcome) {
            if (outcome.error) {
              return outcome;
            }
            if (options.redirect === "if_required") {
              return { paymentIntent: outcome };
            }
            var separator = returnUrl.indexOf("?") === -1 ? "?" : "&";
            window.location.assign(returnUrl + separator + "payment_intent=" + encodeURIComponent(outcome.id) +
              "&payment_intent_client_secret=" + encodeURIComponent(clientSecret) + "&redirect_status=succeeded");
            return new Promise(function () {});  // the page is leaving, as with Stripe.js
          });
      },
    };
  };
})();
