"""Video room: the media hub (selective forwarding, no decode or encode on the server) against a
per-subscriber re-encode baseline, measured in the same run on the same machine.

The baseline is a room built the way streamlit-webrtc's video-chat examples build one: every publisher's
incoming track is decoded by aiortc, wrapped in MediaRelay, and relay.subscribe(track) is added to every
other participant's receiving connection, so each subscriber's sender encodes VP8 again (N x (N-1)
encodes). The relay is unbuffered (each subscriber takes the newest frame): MediaRelay's default buffer
queues every frame without bound once the encoders fall behind, and the overloaded server then stops
delivering altogether, which would make the comparison meaningless rather than harder.
VESPER_BENCH_BUFFERED_RELAY=1 measures the buffered relay instead.

The server runs in its own process, pinned to core 0, and reports its own CPU time; the synthetic peers
(bench/_video_peers.py) run in this process, pinned to core 1. Each peer sends 640x360 video at 15 fps
with its send time painted into the picture; each receiver decodes the frame as a browser would, reads
the time back and records the delay. Video only, no audio.

VESPER_BENCH_SECONDS sets the measured seconds per call (default 20); VESPER_BENCH_VIDEO_SIZES the room
sizes (default 2,4,6,8). Prints a table to stderr and one JSON object on its last stdout line. The bench
reports how much CPU other processes took on its two cores during each window ("contended"): on a shared
machine, frames delivered and delays are then pessimistic, while CPU per frame stays the server's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import statistics
import sys
import threading
import time
import traceback

from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from bench._video_peers import FPS, HEIGHT, WIDTH, Clock, PeerGroup, Rpc, direct_delays
from media.backend import JoinOutcome, JoinResult, Person

ROOM = "bench-room"
SIZES = tuple(int(n) for n in os.environ.get("VESPER_BENCH_VIDEO_SIZES", "2,4,6,8").split(","))
SECONDS = float(os.environ.get("VESPER_BENCH_SECONDS", "20"))
WARMUP_TIMEOUT = 20.0  # every subscription must show a picture within this, or the run is marked so
SETTLE = 1.0  # seconds after the first pictures before the window opens
GRACE = 1.5  # seconds after the window for its last frames to arrive
SERVER_CORE, PEER_CORE = 0, 1
BUFFERED_RELAY = os.environ.get("VESPER_BENCH_BUFFERED_RELAY", "0") == "1"
DIRECT_SECONDS = min(SECONDS, 5.0)
BUDGET_S = 400  # contended runs are repeated only while the whole bench stays within this
RUN_ESTIMATE_S = SECONDS + 20  # one run's setup, warm-up, window and teardown, roughly


class ReencodeRoom:
    """The baseline: one room whose server decodes every publisher and re-encodes for every subscriber.

    Same calls as MediaHub's (join, negotiate, negotiate_subscription, heartbeat, close), blocking and
    thread-safe, with the connections on their own event loop thread.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="reencode-room", daemon=True)
        self._thread.start()
        self._relay: MediaRelay | None = None
        self._published: dict[str, MediaStreamTrack] = {}
        self._pcs: list[RTCPeerConnection] = []
        self._joined = 0

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def join(self, room_id: str, person: Person) -> JoinResult:
        self._joined += 1
        return JoinResult(JoinOutcome.JOINED, f"p{self._joined}", "You joined the room.")

    def heartbeat(self, room_id: str, participant_id: str) -> None:
        pass

    async def _connection(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pcs.append(pc)

        @pc.on("connectionstatechange")
        async def _on_state() -> None:
            if pc.connectionState == "failed":
                await pc.close()

        return pc

    async def _answer(self, pc: RTCPeerConnection) -> tuple[str, str]:
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp, pc.localDescription.type

    async def _publish(self, participant_id: str, sdp: str, kind: str) -> tuple[str, str]:
        pc = await self._connection()

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self._published[participant_id] = track

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        return await self._answer(pc)

    async def _subscribe(self, source_id: str, sdp: str, kind: str) -> tuple[str, str]:
        if self._relay is None:
            self._relay = MediaRelay()
        pc = await self._connection()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        pc.addTrack(self._relay.subscribe(self._published[source_id], buffered=BUFFERED_RELAY))
        return await self._answer(pc)

    def negotiate(
        self, room_id: str, participant_id: str, offer_sdp: str, offer_type: str
    ) -> tuple[str, str]:
        return self._run(self._publish(participant_id, offer_sdp, offer_type))

    def negotiate_subscription(
        self, room_id: str, viewer_id: str, source_id: str, offer_sdp: str, offer_type: str
    ) -> tuple[str, str]:
        return self._run(self._subscribe(source_id, offer_sdp, offer_type))

    def close(self) -> None:
        async def _close_all() -> None:
            await asyncio.gather(*(pc.close() for pc in self._pcs), return_exceptions=True)

        self._run(_close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


def _pin(core: int) -> bool:
    try:
        os.sched_setaffinity(0, {core})
        return True
    except (AttributeError, OSError):
        return False


def _beat(server, conn) -> None:
    """The heartbeat channel: its own thread, so heartbeats never wait behind a negotiation."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            _, pid = conn.recv()
            try:
                conn.send((True, server.heartbeat(ROOM, pid)))
            except Exception:
                conn.send((False, traceback.format_exc()))


def _serve(kind: str, conn, beat_conn) -> None:
    """The server process: build one server, answer requests from the pipe until told to stop."""
    logging.basicConfig(level=logging.ERROR)
    _pin(SERVER_CORE)
    try:
        if kind == "hub":
            from media import patches
            from media.hub import MediaHub

            server = MediaHub(cap=8, drop_after=10.0, ice_servers=[])
            patches.install_all(lambda: server)  # as the app does (portal/room_hub.py): forward, no decode
        else:
            server = ReencodeRoom()
    except Exception:
        conn.send((False, traceback.format_exc()))
        return
    threading.Thread(target=_beat, args=(server, beat_conn), name="heartbeats", daemon=True).start()
    conn.send((True, "ready"))
    while True:
        request = conn.recv()
        try:
            match request:
                case ("join", i):
                    person = Person(
                        user_id=i, display_name=f"peer{i}", role="nurse", clinician=True, on_care_team=True
                    )
                    result = server.join(ROOM, person)
                    if result.outcome != JoinOutcome.JOINED:
                        raise RuntimeError(f"peer{i} did not join: {result}")
                    reply = result.participant_id
                case ("negotiate", pid, sdp, offer_type):
                    reply = tuple(server.negotiate(ROOM, pid, sdp, offer_type))
                case ("subscribe", viewer, source, sdp, offer_type):
                    reply = tuple(server.negotiate_subscription(ROOM, viewer, source, sdp, offer_type))
                case ("cpu",):
                    reply = (time.process_time(), time.monotonic())
                case ("stop",):
                    server.close()
                    conn.send((True, None))
                    return
                case _:
                    raise ValueError(f"unknown request {request!r}")
            conn.send((True, reply))
        except Exception:
            conn.send((False, traceback.format_exc()))


def _core_busy() -> dict[int, float]:
    """Busy CPU seconds of each core so far, from /proc/stat (empty where that is not available)."""
    tick = os.sysconf("SC_CLK_TCK")
    busy = {}
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                name, *fields = line.split()
                if name.startswith("cpu") and name[3:].isdigit():
                    values = [int(v) for v in fields]
                    busy[int(name[3:])] = (sum(values[:8]) - values[3] - values[4]) / tick
    except OSError:
        pass
    return busy


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _call(n: int, rpc: Rpc, beat_rpc: Rpc, clock: Clock) -> dict:
    """One call of n peers against the server behind rpc; the figures of its measured window."""
    loop = asyncio.get_running_loop()
    peers = PeerGroup(n, rpc, clock, beat_rpc)
    beats = None
    try:
        await peers.publish()
        beats = asyncio.ensure_future(peers.heartbeats())
        await peers.subscribe_all()
        all_pictures = await peers.wait_for_pictures(WARMUP_TIMEOUT)
        await asyncio.sleep(SETTLE)

        cpu0 = await loop.run_in_executor(None, rpc, "cpu")
        peers_cpu0, t0, cores0 = time.process_time(), clock.ms(), _core_busy()
        await asyncio.sleep(SECONDS)
        cpu1 = await loop.run_in_executor(None, rpc, "cpu")
        peers_cpu1, t1, cores1 = time.process_time(), clock.ms(), _core_busy()
        await asyncio.sleep(GRACE)
    finally:
        if beats:
            beats.cancel()
        await peers.close()

    window = (t1 - t0) / 1000
    sent = [sum(t0 <= ms < t1 for ms in cam.sent_ms) for cam in peers.cameras]
    expected = sum(sent) * (n - 1)
    delays = [rx - tx for sub in peers.subscriptions for tx, rx in sub.received if t0 <= tx < t1]
    delivered = len(delays)
    # The server's CPU rate over its own interval between the two marks (a saturated server may answer a
    # mark late), applied to the peers' window in which frames were counted.
    server_cpu_per_s = (cpu1[0] - cpu0[0]) / (cpu1[1] - cpu0[1])
    server_cpu = server_cpu_per_s * window
    peers_cpu_per_s = (peers_cpu1 - peers_cpu0) / window
    # Whatever else ran on our two cores meanwhile (other processes on a shared machine): it competes with
    # the server and the peers, so frames delivered and delays of a contended run are pessimistic.
    other = {}
    for core, ours in ((SERVER_CORE, server_cpu_per_s), (PEER_CORE, peers_cpu_per_s)):
        if core in cores0 and core in cores1:
            other[core] = round(max(0.0, (cores1[core] - cores0[core]) / window - ours), 3)
    return {
        "n": n,
        "window_s": round(window, 2),
        "all_pictures_before_window": all_pictures,
        "frames_sent_per_source": round(sum(sent) / n, 1),
        "mean_sent_frame_bytes": round(
            sum(c.sent_bytes for c in peers.cameras) / max(1, sum(len(c.sent_ms) for c in peers.cameras))
        ),
        "frames_expected": expected,
        "frames_delivered": delivered,
        "delivered_share": round(delivered / expected, 4) if expected else None,
        "unreadable_frames": sum(s.unreadable for s in peers.subscriptions),
        "misrouted_frames": sum(s.misrouted for s in peers.subscriptions),
        "participants_dropped_by_server": len(peers.dropped),
        "peer_connections_failed": peers.failed_connections,
        "server_cpu_s_per_s": round(server_cpu_per_s, 3),
        "server_saturated": server_cpu_per_s > 0.9,
        "server_cpu_ms_per_delivered_frame": round(server_cpu * 1000 / delivered, 4) if delivered else None,
        "delay_median_ms": statistics.median(delays) if delays else None,
        "delay_p95_ms": _percentile(delays, 0.95),
        "peers_cpu_s_per_s": round(peers_cpu_per_s, 3),
        "peers_saturated": peers_cpu_per_s > 0.9,
        "other_cpu_s_per_s_on_server_core": other.get(SERVER_CORE),
        "other_cpu_s_per_s_on_peers_core": other.get(PEER_CORE),
        "contended": any(v > 0.15 for v in other.values()),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def _measure(kind: str, n: int, clock: Clock) -> dict:
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    our_beats, their_beats = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(kind, theirs, their_beats), name=f"bench-{kind}", daemon=True)
    process.start()
    theirs.close()
    their_beats.close()
    try:
        ok, value = ours.recv()
        if not ok:
            return {"n": n, "error": value.strip().splitlines()[-1]}
        rpc = Rpc(ours)
        try:
            return asyncio.run(_call(n, rpc, Rpc(our_beats), clock))
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return {"n": n, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            # The server may already be gone; the join below cleans up either way.
            with contextlib.suppress(Exception):
                rpc("stop")
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()


def _table(results: dict[str, list[dict]]) -> str:
    lines = [
        f"{'server':<9}{'N':>3}{'cpu s/s':>9}{'deliv %':>9}{'ms cpu/frame':>14}"
        f"{'delay p50':>11}{'delay p95':>11}{'peers s/s':>11}"
    ]
    for kind, rows in results.items():
        for r in rows:
            if "error" in r:
                lines.append(f"{kind:<9}{r['n']:>3}  error: {r['error']}")
                continue
            share = r["delivered_share"] * 100 if r["delivered_share"] is not None else float("nan")
            per_frame = r["server_cpu_ms_per_delivered_frame"]
            lines.append(
                f"{kind:<9}{r['n']:>3}{r['server_cpu_s_per_s']:>9.3f}{share:>9.1f}"
                f"{per_frame if per_frame is not None else float('nan'):>14.3f}"
                f"{r['delay_median_ms'] or float('nan'):>11.0f}{r['delay_p95_ms'] or float('nan'):>11.0f}"
                f"{r['peers_cpu_s_per_s']:>11.3f}{'  peers saturated' if r['peers_saturated'] else ''}"
                f"{'  CONTENDED (other processes on our cores)' if r['contended'] else ''}"
            )
    return "\n".join(lines)


def _direct_reference(clock: Clock, attempts: int = 3) -> tuple[float | None, float | None]:
    """Median delay of one camera straight to one receiver (no server), and the other processes' CPU on
    the peers' core meanwhile. Contention only adds delay, so a contended measurement is repeated and the
    lowest median kept."""
    best: tuple[float | None, float | None] = (None, None)
    for _ in range(attempts):
        cpu0, cores0, t0 = time.process_time(), _core_busy(), time.monotonic()
        delays = asyncio.run(direct_delays(clock, DIRECT_SECONDS))
        cpu1, cores1, t1 = time.process_time(), _core_busy(), time.monotonic()
        other = None
        if PEER_CORE in cores0 and PEER_CORE in cores1:
            other = round(max(0.0, (cores1[PEER_CORE] - cores0[PEER_CORE] - (cpu1 - cpu0)) / (t1 - t0)), 3)
        median = statistics.median(delays) if delays else None
        if median is not None and (best[0] is None or median < best[0]):
            best = (median, other)
        if other is not None and other <= 0.15:
            break
    return best


def _contention(row: dict) -> float:
    if "error" in row:
        return float("inf")
    return (row["other_cpu_s_per_s_on_server_core"] or 0) + (row["other_cpu_s_per_s_on_peers_core"] or 0)


def _row(rows: list[dict], n: int) -> dict | None:
    return next((r for r in rows if r["n"] == n and "error" not in r), None)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    pinned = _pin(PEER_CORE) and (os.cpu_count() or 1) >= 2
    clock = Clock()
    results: dict[str, list[dict]] = {"hub": [], "baseline": []}
    started = time.monotonic()
    direct_median, direct_other = _direct_reference(clock)
    print(f"direct peer-to-peer reference ... done: median delay {direct_median} ms", flush=True)
    runs = [(n, kind) for n in SIZES for kind in results]
    for i, (n, kind) in enumerate(runs):
        began = time.monotonic()
        row = _measure(kind, n, clock)
        row["attempts"] = 1
        # A run that other processes contended is measured again once, while the time budget allows; the
        # less contended of the two is kept.
        took, left = time.monotonic() - began, len(runs) - i - 1
        if row.get("contended") and time.monotonic() - started + took + left * RUN_ESTIMATE_S < BUDGET_S:
            print(f"N={n} {kind} ... contended, measuring again", flush=True)
            again = _measure(kind, n, clock)
            again["attempts"] = 2
            if _contention(again) < _contention(row):
                row = again
            else:
                row["attempts"] = 2
        results[kind].append(row)
        print(f"N={n} {kind} ... done ({time.monotonic() - started:.0f}s): {json.dumps(row)}", flush=True)
    print(_table(results), file=sys.stderr)

    ratios = {}
    for n in SIZES:
        hub, base = _row(results["hub"], n), _row(results["baseline"], n)
        key = "server_cpu_ms_per_delivered_frame"
        if hub and base and hub[key] and base[key]:
            ratios[str(n)] = round(hub[key] / base[key], 4)
    hub6, hub8 = _row(results["hub"], 6), _row(results["hub"], 8)
    added = {
        kind: {
            str(r["n"]): r["delay_median_ms"] - direct_median
            for r in rows
            if "error" not in r and r["delay_median_ms"] is not None and direct_median is not None
        }
        for kind, rows in results.items()
    }
    targets = {
        "n6_hub_cpu_per_frame_at_most_0.25x_baseline": "6" in ratios and ratios["6"] <= 0.25,
        "n8_hub_delivers_at_least_95pct": bool(hub8 and hub8["delivered_share"] >= 0.95),
        "hub_median_added_delay_at_most_100ms_every_n": len(added["hub"]) == len(SIZES)
        and max(added["hub"].values()) <= 100,
    }
    print(
        json.dumps(
            {
                "benchmark": "video_room",
                "video": f"{WIDTH}x{HEIGHT} VP8 at {FPS} fps, solid colour with a stamped send time",
                "audio": False,
                "audio_note": "peers offer an audio m-line with no track (the hub answers audio+video)",
                "baseline_relay_buffered": BUFFERED_RELAY,
                "seconds_per_call": SECONDS,
                "sizes": list(SIZES),
                "cores_pinned": {"server": SERVER_CORE, "peers": PEER_CORE} if pinned else None,
                "delay_is": "end to end: stamp painted at the sender to decoded frame read at the receiver",
                "direct_reference_median_delay_ms": direct_median,
                "direct_reference_other_cpu_s_per_s_on_peers_core": direct_other,
                "direct_reference_note": "one camera straight to one receiver, no server: mostly aiortc's "
                "receiver holding each frame until the next one's first packet (one frame interval)",
                "median_added_delay_ms": added,
                "hub": results["hub"],
                "baseline": results["baseline"],
                "hub_over_baseline_cpu_per_frame": ratios,
                "hub_n6_frames_delivered_share": hub6["delivered_share"] if hub6 else None,
                "targets_met": targets,
                "wall_s": round(time.monotonic() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
