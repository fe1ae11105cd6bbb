"""Import adapters: a park's existing systems as rating sources (spreadsheets, REST, GraphQL, its own DB).

Typical use (the park node's `alliance park import --config park.toml [--dry-run]`):

    plan = load_import(read_config(path), path.parent, database=..., known_indicators=...)
    report = await run_import(plan.source, plan.mapping, all_or_nothing=plan.options.all_or_nothing, ...)
    format_report(report, dry_run, console, changes=...)

Depends on the domain core's types only (EnterpriseRecord, USCC validation, errors).
"""

from adapters.base import ImportProblem, ImportReport, RatingSource, RawRecord, SourceError
from adapters.config import ConfigError, ImportOptions, ImportPlan, load_import, load_source, read_config
from adapters.importer import iter_mapped, run_import, run_plan
from adapters.mapping import FieldMapping, IndicatorRule, MappingError
from adapters.report import exit_code, format_report

__all__ = [
    "ConfigError",
    "FieldMapping",
    "ImportOptions",
    "ImportPlan",
    "ImportProblem",
    "ImportReport",
    "IndicatorRule",
    "MappingError",
    "RatingSource",
    "RawRecord",
    "SourceError",
    "exit_code",
    "format_report",
    "iter_mapped",
    "load_import",
    "load_source",
    "read_config",
    "run_import",
    "run_plan",
]
