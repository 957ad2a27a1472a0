// AlertStateProcessor: APUS_GET_ALERT_STATE (9001, Apus's own code) → the accumulation-alert state as JSON, for
// `apus admin alertList`. No header; the body:
//   {"alertmanager":…,"delivery":[{"delivered":n,"dropped":n,"failed":n,"kind":"webhook","retried":n,"url":…}],
//    "evaluatedAt":ms,"evaluationIntervalSeconds":n,"fileError":…,"rules":[{"alerts":[{"ageSeconds":n,"diff":n,
//    "since":ms,"state":"inactive|pending|firing","topic":…}],"forSeconds":n,"group":…,"loadedAt":ms,"maxAgeSeconds":n,
//    "maxDiff":n,"name":…,"refusal":…,"topic":…}],"rulesFile":…,"webhook":…}
// (absent optional values are null; keys sorted).

import ApusGroups
import ApusRemoting
import NIOCore

struct AlertStateProcessor: Sendable {
    let alerts: AlertService

    func process(_ request: RemotingCommand) -> RemotingCommand {
        var response = RemotingCommand.response(to: request, code: .success)
        response.body = Self.encode(alerts.snapshot())
        return response
    }

    static func encode(_ s: AlertSnapshot) -> ByteBuffer {
        var w = JSONWriter()
        func optional(_ key: String, _ value: String?) {
            w.key(key)
            if let value { w.string(value) } else { w.null() }
        }
        func optional(_ key: String, _ value: Int64?) {
            w.key(key)
            if let value { w.number(value) } else { w.null() }
        }
        w.beginObject()
        optional("alertmanager", s.alertmanager)
        w.key("delivery")
        w.beginArray()
        for d in s.delivery {
            w.beginObject()
            w.number("delivered", d.counters.delivered)
            w.number("dropped", d.counters.dropped)
            w.number("failed", d.counters.failed)
            w.string("kind", d.kind)
            w.number("retried", d.counters.retried)
            w.string("url", d.url)
            w.endObject()
        }
        w.endArray()
        w.number("evaluatedAt", s.evaluatedAt)
        w.number("evaluationIntervalSeconds", s.evaluationIntervalSeconds)
        optional("fileError", s.fileError)
        w.key("rules")
        w.beginArray()
        for status in s.rules {
            let rule = status.rule
            w.beginObject()
            w.key("alerts")
            w.beginArray()
            for alert in status.alerts {
                w.beginObject()
                w.number("ageSeconds", alert.ageSeconds)
                w.number("diff", alert.diff)
                w.number("since", alert.since)
                w.string("state", alert.state.rawValue)
                w.string("topic", alert.topic)
                w.endObject()
            }
            w.endArray()
            w.number("forSeconds", rule.forSeconds)
            w.string("group", rule.group)
            w.number("loadedAt", status.loadedAt)
            optional("maxAgeSeconds", rule.maxAgeSeconds)
            optional("maxDiff", rule.maxDiff)
            w.string("name", rule.name)
            optional("refusal", status.refusal)
            optional("topic", rule.topic)
            w.endObject()
        }
        w.endArray()
        optional("rulesFile", s.rulesFile)
        optional("webhook", s.webhook)
        w.endObject()
        return w.buffer
    }
}
