import sqlite3
from pathlib import Path

from dashkit import EXPECTED, database_probe, make_settings, running, seed


async def test_dashboard_aggregates(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as client:
        await seed(client)
        response = await client.get("/dashboard")
        assert response.status_code == 200, response.text
        assert response.json() == EXPECTED


async def test_empty_store(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as client:
        response = await client.get("/dashboard")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "revenue": [],
            "top_products": [],
            "stock_alerts": [],
            "customers": {"total": 0, "with_orders": 0},
        }


async def test_limits_come_from_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, dashboard_top_products=3, dashboard_low_stock_below=2)
    async with running(settings) as client:
        await seed(client)
        body = (await client.get("/dashboard")).json()
        assert body["top_products"] == EXPECTED["top_products"][:3]
        assert body["stock_alerts"] == EXPECTED["stock_alerts"][:2]
        assert body["revenue"] == EXPECTED["revenue"]


async def test_each_section_is_one_query_on_its_own_connection(tmp_path: Path) -> None:
    with database_probe() as probe:
        async with running(make_settings(tmp_path)) as client:
            await seed(client)
            probe.gating = True
            response = await client.get("/dashboard")
            probe.gating = False
            assert response.status_code == 200, response.text
            assert response.json() == EXPECTED
            assert probe.broken == [], (
                "SELECTs waited 5 s for the other sections' SELECTs: the four section queries"
                f" did not run at the same time on four connections: {probe.broken}"
            )
            assert len(probe.selects) == 4, f"one SELECT per section: {probe.selects}"
            assert probe.most_checked_out >= 4
            assert probe.checked_out == 0, "a connection was not returned to the pool"


async def test_a_failing_query_is_503_and_returns_every_connection(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with database_probe() as probe:
        async with running(settings) as client:
            await seed(client)
            connection = sqlite3.connect(settings.database_url.split(":///", 1)[1])
            try:
                connection.execute("DROP TABLE stock")
                connection.commit()
            finally:
                connection.close()

            for _ in range(3):
                response = await client.get("/dashboard")
                assert response.status_code == 503, response.text
                body = response.json()
                assert set(body) == {"detail", "code"}
                assert body["code"] == "dashboard_unavailable"
                assert isinstance(body["detail"], str)
                assert probe.checked_out == 0, "a failed dashboard kept a connection"
            assert (await client.get("/customers/1")).status_code == 200


async def test_the_time_budget_comes_from_settings(tmp_path: Path) -> None:
    with database_probe() as probe:
        async with running(make_settings(tmp_path, dashboard_timeout_seconds=0.000001)) as client:
            await seed(client)
            response = await client.get("/dashboard")
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "dashboard_unavailable"
            assert (await client.get("/customers/1")).status_code == 200
            assert probe.checked_out == 0
