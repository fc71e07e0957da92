"""Listing the configured backends (``%qbackend``, ``qnb backends``, ``GET /qnb/api/backends``)."""

from __future__ import annotations

import html
from typing import Any

from ..config import load_config
from .base import BackendInfo
from .registry import make_provider


def list_backends(default: str | None = None) -> list[BackendInfo]:
    """Every profile with what is known of it; a broken one says why instead of failing all."""
    cfg = load_config()
    default = default or cfg.default_backend
    infos = []
    for name, profile in sorted(cfg.profiles.items()):
        try:
            info = make_provider(profile).describe()
        except Exception as exc:  # one unreachable service must not hide the others
            info = BackendInfo(name, profile.provider, None, False, False,
                               f"{type(exc).__name__}: {exc}")
        info.name = name
        info.default = name == default
        infos.append(info)
    return infos


class BackendTable:
    """What ``%qbackend`` shows: a table in HTML, plain text elsewhere."""

    def __init__(self, default: str | None = None) -> None:
        self.backends = list_backends(default)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>" for h in
                       ("", "name", "provider", "qubits", "kind", "reachable"))
        rows = "".join(
            f"<tr><td>{'★' if b.default else ''}</td><td style='padding:2px 8px'><b>"
            f"{html.escape(b.name)}</b></td><td style='padding:2px 8px'>{html.escape(b.provider)}"
            f"</td><td style='padding:2px 8px'>{b.num_qubits if b.num_qubits else '?'}</td>"
            f"<td style='padding:2px 8px'>{'simulator' if b.simulator else 'device'}</td>"
            f"<td style='padding:2px 8px'>{'yes' if b.reachable else 'no'}"
            f"{': ' + html.escape(b.detail) if b.detail else ''}</td></tr>"
            for b in self.backends)
        return (f"<table class='qnb-backends' style='border-collapse:collapse;font-size:12px'>"
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(format_backends(self.backends))


def format_backends(backends: list[BackendInfo]) -> str:
    lines = [f"  {'name':<14}{'provider':<14}{'qubits':>7}  {'kind':<10}reachable"]
    for b in backends:
        mark = "*" if b.default else " "
        reach = "yes" if b.reachable else "no"
        if b.detail:
            reach += f" ({b.detail})"
        lines.append(f"{mark} {b.name:<14}{b.provider:<14}{b.num_qubits or '?':>7}  "
                     f"{'simulator' if b.simulator else 'device':<10}{reach}")
    return "\n".join(lines)
