"""Reports as JSON for the mini-program and the web chat: the same facts as the bot's text, with more room."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alliance.services.enterprises import EnterpriseReport, SearchHit
from alliance.services.registry import ParkRecord
from alliance.services.standards import StandardsSnapshot
from bot import texts


def _park(park: ParkRecord) -> dict[str, str]:
    return {"id": park.id, "name": park.name, "city": park.city}


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def report_view(report: EnterpriseReport, snapshot: StandardsSnapshot | None) -> dict[str, Any]:
    return {
        "uscc": report.uscc,
        "name": report.name,
        "fullView": report.full_view,
        "homePark": _park(report.home_park) if report.home_park else None,
        "ratings": [
            {
                "park": _park(r.park),
                "grade": r.grade,
                "gradeLabel": texts.grade_label(snapshot, r),
                "score": r.score,
                "standard": {"id": r.standard_id, "version": r.standard_version} if r.standard_id else None,
                "issuedAt": _time(r.issued_at),
                "expiresAt": _time(r.expires_at),
                "validFrom": texts.day(r.issued_at),
                "validTo": texts.day(r.expires_at),
                "valid": bool(r.verdict),
                "status": r.verdict.status,
                "statusText": texts.VERDICT_STATUS.get(r.verdict.status, r.verdict.status),
                "reason": r.verdict.reason,
                "fromCache": r.from_cache,
            }
            for r in report.ratings
        ],
        "recognisedCount": report.recognised_count,
        "parkCount": len(report.recognition),
        "recognition": recognition_view(report),
        "listings": [
            {
                "park": _park(lv.park),
                "kind": lv.kind,
                "kindText": texts.LISTING_KIND.get(lv.kind, lv.kind),
                "reason": lv.reason,
                "legalBasis": lv.legal_basis,
                "since": lv.since,
                "until": lv.until,
                "active": lv.active,
            }
            for lv in report.listings
        ],
        "measures": [
            {"code": m.measure.code, "name": m.measure.name, "kind": m.measure.kind,
             "description": m.measure.description, "basis": m.basis, "parks": [p.name for p in m.parks]}
            for m in report.measures
        ],
        "sources": [
            {"park": _park(s.park), "status": s.status, "statusText": texts.SOURCE_STATUS.get(s.status, ""),
             "latencyMs": s.latency_ms}
            for s in report.sources
        ],
    }


def recognition_view(report: EnterpriseReport) -> list[dict[str, Any]]:
    return [
        {"park": _park(v.park), "recognised": v.recognised, "reason": v.reason, "reasonText": texts.zh_reason(v.reason),
         "basisPark": _park(v.basis) if v.basis else None}
        for v in report.recognition
    ]


def hit_view(hit: SearchHit) -> dict[str, Any]:
    return {"uscc": hit.uscc, "name": hit.name, "grade": hit.grade, "parks": [_park(p) for p in hit.parks]}
