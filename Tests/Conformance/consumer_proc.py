# One real RocketMQ push consumer (librocketmq via the rocketmq==0.4.4 binding) in its own process;
# it appends one JSON line per delivery to an output file and runs until SIGTERM.
"""Usage:
  consumer_proc.py --namesrv H:P --group G --topic T --out FILE
                   [--expression '*'] [--model clustering|broadcasting|unset] [--orderly]
                   [--instance NAME] [--fail-first N] [--fail-marker S [--fail-times N]]
                   [--hold-ms N] [--props a,b]

Each delivery of a message becomes one flushed JSON line:
  {"topic", "id", "body", "tags", "keys", "props": {name: value}, "queue_id", "queue_offset",
   "reconsume_times", "store_ts", "born_ts", "recv", "done", "status": "ok" | "fail", "pid"}
"recv"/"done" are time.time() (epoch seconds, float) when the callback was entered / returned;
"store_ts"/"born_ts" are the record's epoch milliseconds.
"status" is "fail" for the first N deliveries when --fail-first N is given, and for every delivery
whose body contains S when --fail-marker S is given (only the first N deliveries of each such body
with --fail-times N): the callback then returns RECONSUME_LATER (1)
explicitly through the C callback (the Python wrapper cannot, see spec §8.9). --hold-ms N makes
every callback take at least N ms (to make overlapping consumption of a queue observable).
"unset" never calls SetPushConsumerMessageModel, so the C++ default applies.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback

from rocketmq.client import RecvMessage
from rocketmq.exceptions import ffi_check
from rocketmq.ffi import MSG_CALLBACK_FUNC, MessageModel, dll

ALWAYS_RECORDED = ("UNIQ_KEY", "RETRY_TOPIC", "ORIGIN_MESSAGE_ID")
CONSUME_SUCCESS, RECONSUME_LATER = 0, 1


def text(value):
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namesrv", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--expression", default="*")
    ap.add_argument("--model", choices=("clustering", "broadcasting", "unset"), default="clustering")
    ap.add_argument("--orderly", action="store_true")
    ap.add_argument("--instance", default=None)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-marker", default="")
    ap.add_argument("--fail-times", type=int, default=0)
    ap.add_argument("--hold-ms", type=int, default=0)
    ap.add_argument("--props", default="")
    args = ap.parse_args()
    props = [p for p in args.props.split(",") if p] + list(ALWAYS_RECORDED)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    out = open(args.out, "a", encoding="utf-8")
    lock = threading.Lock()
    failures_left = [args.fail_first]
    marker_failures = {}  # body -> failures so far (--fail-times)

    def on_message(_consumer, handle):
        try:
            recv = time.time()
            m = RecvMessage(handle)
            record = {
                "topic": text(m.topic), "id": text(m.id), "body": text(m.body),
                "tags": text(m.tags), "keys": text(m.keys),
                "props": {p: text(m.get_property(p)) for p in props},
                "queue_id": m.queue_id, "queue_offset": m.queue_offset,
                "reconsume_times": m.reconsume_times, "store_ts": m.store_timestamp,
                "born_ts": m.born_timestamp, "recv": recv, "pid": os.getpid(),
            }
            if args.hold_ms:
                time.sleep(args.hold_ms / 1000)
            with lock:
                fail = failures_left[0] > 0
                if fail:
                    failures_left[0] -= 1
                elif args.fail_marker and args.fail_marker in (record["body"] or ""):
                    done = marker_failures.get(record["body"], 0)
                    fail = args.fail_times == 0 or done < args.fail_times
                    if fail:
                        marker_failures[record["body"]] = done + 1
                record["status"] = "fail" if fail else "ok"
                record["done"] = time.time()
                out.write(json.dumps(record) + "\n")
                out.flush()
            return RECONSUME_LATER if fail else CONSUME_SUCCESS
        except Exception:  # never let an exception cross into C (spec §8.9)
            traceback.print_exc()
            return RECONSUME_LATER

    callback = MSG_CALLBACK_FUNC(on_message)  # kept alive for the life of the process
    consumer = dll.CreatePushConsumer(args.group.encode())
    if not consumer:
        sys.exit("CreatePushConsumer returned null")
    ffi_check(dll.SetPushConsumerNameServerAddress(consumer, args.namesrv.encode()))
    if args.model != "unset":
        model = MessageModel.BROADCASTING if args.model == "broadcasting" else MessageModel.CLUSTERING
        ffi_check(dll.SetPushConsumerMessageModel(consumer, model))
    if args.instance:
        ffi_check(dll.SetPushConsumerInstanceName(consumer, args.instance.encode()))
    ffi_check(dll.Subscribe(consumer, args.topic.encode(), args.expression.encode()))
    register = dll.RegisterMessageCallbackOrderly if args.orderly else dll.RegisterMessageCallback
    ffi_check(register(consumer, callback))
    ffi_check(dll.StartPushConsumer(consumer))
    print(f"consumer_proc {os.getpid()}: started group={args.group} topic={args.topic} "
          f"model={args.model} orderly={args.orderly}", file=sys.stderr, flush=True)

    while not stop.wait(0.2):
        pass
    ffi_check(dll.ShutdownPushConsumer(consumer))
    print(f"consumer_proc {os.getpid()}: shut down", file=sys.stderr, flush=True)
    out.close()
    # Skip interpreter teardown: the C++ client's static destructors are not worth the risk.
    os._exit(0)


if __name__ == "__main__":
    main()
