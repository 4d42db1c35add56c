"""Invoice rendering. Stand-in for the vendor PDF library (synchronous, CPU-bound, ~0.2 s)."""

import hashlib

from ordersvc.application.dto import OrderDTO

_SIGNING_KEY = b"ordersvc-invoices"


def render_invoice_pdf(order: OrderDTO) -> bytes:
    lines = [f"Invoice for order {order.id} (customer {order.customer_id})"]
    lines += [
        f"{line.quantity} x product {line.product_id} at {line.unit_price} {order.currency}"
        for line in order.lines
    ]
    lines.append(f"Total: {order.total} {order.currency}")
    text = "\n".join(lines).encode()
    # The vendor library signs every document; the key derivation dominates its cost.
    signature = hashlib.pbkdf2_hmac("sha256", text, _SIGNING_KEY, 200_000).hex()
    return b"%PDF-1.4\n" + text + b"\n%%Signature: " + signature.encode() + b"\n%%EOF\n"
