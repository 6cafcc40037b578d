"""Delivery fan-out: one post to 10,000 followers on 1,000 servers, through a real node.

Run: .venv/bin/python benchmarks/fanout.py [--followers 10000] [--servers 1000] [--postgres URL]

The followers live on 1,000 distinct host names (HARBOUR_DEV_HOSTS points them all at one
local sink that answers 202), ten per server, so the post goes to 1,000 shared inboxes. The
clock runs from the member's post to the last delivery marked delivered. The baseline is raw
RSA-2048 PKCS#1 v1.5 signing with the same library, measured in the same run: every delivery
is signed at send time, so signing bounds the rate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import create_engine, func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._servers import bare_server, scratch_database  # noqa: E402
from content.accounts import Account  # noqa: E402
from content.orm import new_id, utcnow  # noqa: E402
from content.relationships import Follow, FollowState  # noqa: E402
from federation.delivery import Delivery  # noqa: E402
from node.database import driver_url  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402

PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u
+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh
kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ
0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg
cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc
mwIDAQAB
-----END PUBLIC KEY-----
"""


def raw_signing_rate(seconds: float = 2.0) -> float:
    """RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second of a short message."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = b"(request-target): post /inbox\nhost: sink.bench\ndate: now\ndigest: SHA-256=x"
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    return count / (time.perf_counter() - started)


def add_followers(database: str, author_username: str, hosts: list[str], per_host: int) -> None:
    engine = create_engine(driver_url(database, asynchronous=False))
    now = utcnow()
    with engine.begin() as connection:
        author_id = connection.scalar(
            select(Account.id).where(Account.username == author_username, Account.domain.is_(None))
        )
        accounts, follows = [], []
        for host in hosts:
            for number in range(per_host):
                uri = f"http://{host}/users/f{number}"
                account_id = new_id()
                accounts.append(
                    {
                        "id": account_id,
                        "username": f"f{number}",
                        "domain": host,
                        "actor_type": "Person",
                        "display_name": "",
                        "summary_html": "",
                        "uri": uri,
                        "url": uri,
                        "inbox_uri": f"{uri}/inbox",
                        "outbox_uri": None,
                        "shared_inbox_uri": f"http://{host}/inbox",
                        "key_id": f"{uri}#main-key",
                        "public_key_pem": PUBLIC_PEM,
                        "manually_approves_followers": False,
                        "discoverable": False,
                        "created_at": now,
                        "fetched_at": now,
                    }
                )
                follows.append(
                    {
                        "id": new_id(),
                        "follower_id": account_id,
                        "followed_id": author_id,
                        "state": FollowState.ACCEPTED,
                        "uri": f"{uri}#follow",
                        "created_at": now,
                    }
                )
        connection.execute(insert(Account), accounts)
        connection.execute(insert(Follow), follows)
    engine.dispose()


def delivered(database: str) -> tuple[int, int]:
    engine = create_engine(driver_url(database, asynchronous=False))
    with engine.connect() as connection:
        done = connection.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")
        )
        total = connection.scalar(select(func.count()).select_from(Delivery))
    engine.dispose()
    return int(done or 0), int(total or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=1_000)
    parser.add_argument("--postgres", help="admin URL; runs on a new PostgreSQL database")
    args = parser.parse_args()
    signing = statistics.median(raw_signing_rate(1.0) for _ in range(3))
    sink_port = free_port()
    names = [f"sink-{number:04d}.bench" for number in range(args.servers)]
    hosts = [f"{name}:{sink_port}" for name in names]
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(Path(tmp), args.postgres) as database,
        bare_server(Path(tmp), sink_port),  # the sink every follower's server points at
    ):
        workdir = Path(tmp)
        node = NodeProcess(port=free_port(), data_dir=workdir / "node", database_url=database)
        node.extra_env.update(
            HARBOUR_FEDERATION_MODE="open",
            HARBOUR_DEV_HOSTS=",".join(f"{name}=127.0.0.1" for name in names),
        )
        try:
            node.start()
            password = node.create_member("alice")
            add_followers(database, "alice", hosts, args.followers // args.servers)
            with closing(node.sign_in("alice", password)) as alice:
                started = time.perf_counter()
                response = alice.post(
                    "/compose", data={"text": "Clinic open today", "visibility": "public"}
                )
                assert response.status_code == 303, response.text
                queued = time.perf_counter() - started
                while True:
                    done, total = delivered(database)
                    if (total and done >= total) or time.perf_counter() - started > 900:
                        break
                    time.sleep(0.2)
                elapsed = time.perf_counter() - started
        finally:
            node.stop()
    rate = done / elapsed
    print(
        f"backend: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.followers} followers "
        f"on {args.servers} servers -> {total} deliveries (one per shared inbox)"
    )
    print(f"raw RSA-2048 signing: {signing:.0f} signatures/s (median of 3)")
    print(
        f"post accepted and deliveries queued in {queued * 1000:.0f} ms; "
        f"all {done}/{total} delivered in {elapsed:.2f} s"
    )
    print(f"fan-out: {rate:.0f} deliveries/s = {rate / signing:.2f}x raw signing")


if __name__ == "__main__":
    main()
