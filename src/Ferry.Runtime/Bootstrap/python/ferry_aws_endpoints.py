"""Makes boto3 honour AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL where botocore predates them.

botocore reads these variables itself from version 1.31.58 on; older ones (Debian 12 ships 1.29) ignore them, so
unchanged Lambda code would talk to AWS instead of Ferry. This hook waits until the function imports
botocore.session (nothing is imported before that), then, only when that botocore has no support of its own, wraps
Session.create_client so a client created without an endpoint_url gets the one the environment names for its
service (the service id upper-cased, spaces turned to underscores: S3, DYNAMODB, SQS, LAMBDA...).
"""

import functools
import importlib.abc
import importlib.util
import os
import sys

_SESSION_MODULE = "botocore.session"
_ENDPOINT_URL_POSITION = 4  # create_client(service_name, region_name, api_version, use_ssl, verify, endpoint_url, ...)


def install():
    """Patches botocore when it is imported (at once when it already is)."""
    module = sys.modules.get(_SESSION_MODULE)
    if module is not None:
        _patch(module)
    elif not any(isinstance(finder, _PatchOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


def endpoint_for(service_id, environ=None):
    """The endpoint the environment names for a service id ("DynamoDB Streams" -> AWS_ENDPOINT_URL_DYNAMODB_STREAMS)."""
    environ = os.environ if environ is None else environ
    name = "AWS_ENDPOINT_URL_" + str(service_id).replace(" ", "_").replace("-", "_").upper()
    return environ.get(name) or environ.get("AWS_ENDPOINT_URL") or None


def has_native_support():
    from botocore import configprovider

    variables = getattr(configprovider, "BOTOCORE_DEFAUT_SESSION_VARIABLES", {})
    return "ignore_configured_endpoint_urls" in variables


class _PatchOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != _SESSION_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            _patch(module)

        loader.exec_module = exec_module
        return spec


def _patch(session_module):
    session_class = session_module.Session
    if getattr(session_class.create_client, "_ferry_endpoints", False) or has_native_support():
        return
    original = session_class.create_client

    @functools.wraps(original)
    def create_client(self, service_name, *args, **kwargs):
        given = args[_ENDPOINT_URL_POSITION] if len(args) > _ENDPOINT_URL_POSITION else kwargs.get("endpoint_url")
        if given is None:
            try:
                service_id = self.get_service_model(service_name).service_id
            except Exception:  # An unknown service: let create_client raise its own error.
                service_id = service_name
            url = endpoint_for(service_id)
            if url:
                if len(args) > _ENDPOINT_URL_POSITION:
                    args = args[:_ENDPOINT_URL_POSITION] + (url,) + args[_ENDPOINT_URL_POSITION + 1 :]
                else:
                    kwargs["endpoint_url"] = url
        return original(self, service_name, *args, **kwargs)

    create_client._ferry_endpoints = True
    session_class.create_client = create_client
