"""``{% csp_nonce %}``: this response's Content-Security-Policy nonce, for inline scripts and styles.

Works where ``request`` is not in the template's context too (form widgets), through the value
``portal.headers`` keeps for the request being handled.
"""

from django import template

from ..headers import current_nonce

register = template.Library()


@register.simple_tag(takes_context=True)
def csp_nonce(context) -> str:
    request = context.get("request")
    nonce = getattr(request, "csp_nonce", None) if request is not None else None
    return str(nonce) if nonce else current_nonce.get()
