"""An ``azure`` profile's settings: the workspace it names, the target, and no secret.

Credentials come only from the environment (``AZURE_QUANTUM_CONNECTION_STRING``, or
azure-identity's ``DefaultAzureCredential``): a profile with a key, a connection string or a
SAS signature is refused, with a message that does not repeat it.
"""

from __future__ import annotations

import re
from typing import Any

from . import azure_formats as formats
from .base import ProfileError, check_remote_options

SECRET_KEYS = ("connection_string", "api_key", "apikey", "key", "token", "access_token",
               "client_secret", "credential", "credentials", "password", "sas", "sas_token")
SECRET_MESSAGE = (
    "qnb never keeps Azure credentials in its configuration; remove it and let the SDK find "
    "them in the environment: AZURE_QUANTUM_CONNECTION_STRING, or azure-identity's "
    "DefaultAzureCredential (AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET, a "
    "managed identity, or 'az login')")
POLICIES = ("Abort", "Continue")
_RESOURCE_ID = re.compile(r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/\s]+/providers/"
                          r"Microsoft\.Quantum/[Ww]orkspaces/[^/\s]+$")
_LOCATION = re.compile(r"^[a-z]+[a-z0-9]*$")
_SECRET_VALUE = re.compile(r"(ApiKey=|AccountKey=|SharedAccessSignature|[?&]sig=)", re.I)


def refuse_secrets(options: dict[str, Any]) -> None:
    """A setting named like a credential, or a value holding one, is refused by its name."""
    for key, value in options.items():
        if key.lower() in SECRET_KEYS:
            raise ProfileError(SECRET_MESSAGE, key)
        if isinstance(value, str) and _SECRET_VALUE.search(value):
            raise ProfileError("looks like it holds a key or connection string; "
                               + SECRET_MESSAGE, key)


def validate(options: dict[str, Any]) -> None:
    """The settings' values (their names and types are checked by ``Provider``)."""
    try:
        formats.target_format(options["target"])
    except ValueError as exc:
        raise ProfileError(str(exc), "target") from None
    _check_workspace(options)
    policy = options.get("job_failure_policy")
    if policy is not None and policy not in POLICIES:
        raise ProfileError(f"must be {' or '.join(map(repr, POLICIES))}", "job_failure_policy")
    check_remote_options(options, "workspace_factory")


def workspace_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``azure.quantum.Workspace`` for the profile's workspace."""
    kwargs: dict[str, Any] = {"location": options["location"], "user_agent": "qnb"}
    if options.get("resource_id"):
        kwargs["resource_id"] = options["resource_id"]
    else:
        kwargs.update(subscription_id=options["subscription_id"],
                      resource_group=options["resource_group"], name=options["workspace"])
    return kwargs


def _check_workspace(options: dict[str, Any]) -> None:
    """Either ``resource_id`` + ``location`` or ``subscription_id``, ``resource_group``,
    ``workspace`` + ``location``."""
    parts = ("subscription_id", "resource_group", "workspace")
    if "location" not in options:
        raise ProfileError("missing field 'location' (the workspace's region, like 'eastus')",
                           "location")
    if not _LOCATION.match(options["location"]):
        raise ProfileError(f"{options['location']!r} is not an Azure region name (like "
                           "'eastus' or 'westeurope')", "location")
    if "resource_id" in options:
        extra = [p for p in parts if p in options]
        if extra:
            raise ProfileError("give either resource_id or subscription_id, resource_group "
                               "and workspace, not both", extra[0])
        if not _RESOURCE_ID.match(options["resource_id"]):
            raise ProfileError("must look like /subscriptions/<id>/resourceGroups/<group>/"
                               "providers/Microsoft.Quantum/Workspaces/<name>", "resource_id")
        return
    missing = [p for p in parts if p not in options]
    if missing:
        raise ProfileError(f"missing field {missing[0]!r}: name the workspace by resource_id, "
                           "or by subscription_id, resource_group and workspace", missing[0])
