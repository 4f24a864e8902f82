"""Validation of the workflow configuration against ``workflow/schemas/config.schema.yaml``.

Deliberately light (jsonschema and PyYAML only, both Snakemake dependencies) so the Snakefile can
import it before anything heavy. Validation fills the schema's defaults in place and reports the
*first* problems with the dotted path of the offending key, e.g.
``homogenization.effective_coefficients.one_d.resolutions[0]: -8 is less than the minimum of 2``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

__all__ = ["ConfigError", "load_yaml", "validate_config", "key_path", "get"]


class ConfigError(ValueError):
    """The configuration does not satisfy the schema; the message names every offending key path."""


def load_yaml(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping at its top level")
    return data


def key_path(parts) -> str:
    """Dotted key path with list indices, e.g. ``a.b[2].c``; ``<root>`` for the top level."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<root>"


def _with_defaults(validator_class):
    """A validator that writes each property's ``default`` into the instance before checking it."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = sub["default"]
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _describe(err: jsonschema.ValidationError) -> str:
    where = key_path(err.absolute_path)
    if err.validator == "required":
        # the message names the missing key; point at it rather than at its parent
        missing = err.message.split("'")[1] if "'" in err.message else "?"
        return f"{key_path([*err.absolute_path, missing])}: required key is missing"
    if err.validator == "additionalProperties":
        return f"{where}: {err.message} (a typo? the schema lists every allowed key)"
    return f"{where}: {err.message}"


def validate_config(config: dict, schema_path: str | Path) -> dict:
    """Validate ``config`` in place (filling defaults) and return it; raise :class:`ConfigError`."""
    schema = load_yaml(schema_path)
    validator = _Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        lines = "\n".join(f"  - {_describe(e)}" for e in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise ConfigError(f"invalid configuration (schema {schema_path}):\n{lines}{more}")
    return config


def get(config: dict, dotted: str) -> Any:
    """``get(cfg, "a.b.c")`` -> cfg["a"]["b"]["c"], with a KeyError naming the full path."""
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"config key {dotted!r} is missing (at {part!r})")
        node = node[part]
    return node
