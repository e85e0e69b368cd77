"""The permission matrix every page and API gets (NetBox's ViewTestCases, our rules):
anonymous, a user without permission, the permitted user, and the permitted user on an
object that is not theirs. Later apps reuse it for their own views:

    check_matrix(client, url=f"/studies/{mine.pk}/", permitted=doctor, outsider=other_doctor,
                 other_url=f"/studies/{theirs.pk}/")
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.personas import sign_in


@dataclass
class MatrixResult:
    anonymous: int
    outsider: int
    permitted: int
    other_object: int | None


def fetch(client, method: str, url: str, data=None, headers=None) -> int:
    response = getattr(client, method)(url, data or {}, headers=headers or {})
    return response.status_code


def check_matrix(
    client,
    *,
    url: str,
    permitted,
    outsider,
    other_url: str | None = None,
    method: str = "get",
    data: dict | None = None,
    ok: tuple[int, ...] = (200,),
    anonymous: tuple[int, ...] = (302,),
    denied: tuple[int, ...] = (404,),
) -> MatrixResult:
    """Asserts, negatives first: anonymous is sent to sign in, an outsider and the permitted
    user on someone else's object get 404 (never 403: they may not know it exists)."""
    client.logout()
    anonymous_status = fetch(client, method, url, data)
    assert anonymous_status in anonymous, f"anonymous {method.upper()} {url}: {anonymous_status}"
    sign_in(client, outsider)
    outsider_status = fetch(client, method, url, data)
    assert outsider_status in denied, f"outsider {method.upper()} {url}: {outsider_status}"
    client.logout()
    sign_in(client, permitted)
    other_status = None
    if other_url is not None:
        other_status = fetch(client, method, other_url, data)
        assert other_status in denied, f"permitted user on {other_url}: {other_status}"
    permitted_status = fetch(client, method, url, data)
    assert permitted_status in ok, f"permitted {method.upper()} {url}: {permitted_status}"
    client.logout()
    return MatrixResult(anonymous_status, outsider_status, permitted_status, other_status)
