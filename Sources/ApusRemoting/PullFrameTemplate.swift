// PullFrameTemplate: a PULL_MESSAGE request's binary header pre-encoded for one consumer group, queue and subscription,
// so that a pull writes only its opaque, queue offset, sys flag and commit offset (the Swift consumer's hot path).

import ApusMessage
import NIOCore

/// The header a `RemotingCommand.request(code: .pullMessage, header:)` with the ROCKETMQ serialization would write
/// (laid out as `BinaryHeaderLayout` says), split at the per-pull values: the opaque, the ext-field length, and the
/// values of `queueOffset`, `sysFlag` and `commitOffset` (always present; the broker stores it only when the flag says
/// so).
public final class PullFrameTemplate: Sendable {
    /// The header this template writes; its queue offset, sys flag and commit offset are each pull's.
    public let prototype: PullMessageRequestHeader
    /// The header's bytes with each per-pull value and the ext-field length left out.
    private let fixed: [UInt8]
    /// Where in `fixed` each per-pull value goes, in the order they are written.
    private let opaqueAt: Int, extFieldsAt: Int, queueOffsetAt: Int, sysFlagAt: Int, commitOffsetAt: Int

    public init(_ prototype: PullMessageRequestHeader) {
        var prototype = prototype
        prototype.commitOffset = prototype.commitOffset ?? 0
        self.prototype = prototype
        let perPull: Set<String> = [FieldName.queueOffset, FieldName.sysFlag, FieldName.commitOffset]
        let layout = BinaryHeaderLayout(code: .pullMessage, perRequest: perPull) { prototype.forEachField($0) }
        opaqueAt = layout.opaqueAt
        extFieldsAt = layout.extFieldsAt
        queueOffsetAt = layout.valueAt[FieldName.queueOffset]!
        sysFlagAt = layout.valueAt[FieldName.sysFlag]!
        commitOffsetAt = layout.valueAt[FieldName.commitOffset]!
        fixed = layout.bytes
    }

    /// The same request as an ordinary command (for writes that cannot take the direct path).
    public func command(queueOffset: Int64, sysFlag: PullSysFlag, commitOffset: Int64) -> RemotingCommand {
        var header = prototype
        header.queueOffset = queueOffset
        header.sysFlag = sysFlag
        header.commitOffset = commitOffset
        var command = RemotingCommand.request(code: .pullMessage, header: header)
        command.serializeType = .rocketmq
        return command
    }

    /// Writes the whole frame (a pull has no body).
    public func write(opaque: Int32, queueOffset: Int64, sysFlag: PullSysFlag, commitOffset: Int64, to out: inout ByteBuffer) {
        _ = fixed.withUnsafeBytes { fixed in
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: 8 + 4 + fixed.count + 3 * (4 + 20)) { buffer in
                var w = RawHeaderWriter(buffer.baseAddress!)
                w.integer(UInt64(0))
                func copy(_ range: Range<Int>) { w.bytes(UnsafeRawBufferPointer(rebasing: fixed[range])) }
                copy(0..<opaqueAt)
                w.integer(opaque)
                copy(opaqueAt..<extFieldsAt)
                let extLengthAt = w.beginLength()
                copy(extFieldsAt..<queueOffsetAt)
                w.decimalValue(queueOffset)
                copy(queueOffsetAt..<sysFlagAt)
                w.decimalValue(Int64(sysFlag.rawValue))
                copy(sysFlagAt..<commitOffsetAt)
                w.decimalValue(commitOffset)
                copy(commitOffsetAt..<fixed.count)
                w.endLength(at: extLengthAt)
                w.setFrameWords(.rocketmq, bodyLength: 0)
                return w.count
            }
        }
    }
}
