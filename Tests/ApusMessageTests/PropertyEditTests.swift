// Tests of property-string edits: appending batch-wrapper properties to Java 4.9.x elements (no trailing 0x02) and
// C++ elements (trailing 0x02), set/remove of one key, and the broker's rewrite from a string or from sent bytes.

import ApusMessage
import NIOCore
import Testing

private let wrapper = "WAIT\u{1}true\u{2}"

@Test func appendAfterJavaElementWithoutTrailingSeparator() {
    let javaElement = "UNIQ_KEY\u{1}U1\u{2}TAGS\u{1}TagE"
    let merged = MessagePropertyCodec.appending(wrapper, to: javaElement)
    #expect(merged == "UNIQ_KEY\u{1}U1\u{2}TAGS\u{1}TagE\u{2}WAIT\u{1}true\u{2}")
    #expect(MessagePropertyCodec.value(of: MessageProperty.tags, in: merged) == "TagE")
    #expect(MessagePropertyCodec.value(of: MessageProperty.wait, in: merged) == "true")
    #expect(MessagePropertyCodec.decode(merged) == ["UNIQ_KEY": "U1", "TAGS": "TagE", "WAIT": "true"])
    // What a plain concatenation produced:
    #expect(MessagePropertyCodec.value(of: MessageProperty.tags, in: javaElement + wrapper) == "TagEWAIT\u{1}true")
}

@Test func appendAfterCppElementWithTrailingSeparator() {
    let cppElement = "TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}U2\u{2}"
    let merged = MessagePropertyCodec.appending(wrapper, to: cppElement)
    #expect(merged == cppElement + wrapper)
    #expect(MessagePropertyCodec.value(of: MessageProperty.tags, in: merged) == "TagA")
    #expect(MessagePropertyCodec.appending(wrapper, to: "") == wrapper)
    #expect(MessagePropertyCodec.appending("", to: "TAGS\u{1}T") == "TAGS\u{1}T")
    // A Java-style extra (no trailing separator) stays as it is; a later append still separates.
    var text = MessagePropertyCodec.appending("CLUSTER\u{1}C", to: cppElement)
    MessagePropertyCodec.append(wrapper, to: &text)
    #expect(MessagePropertyCodec.decode(text) == ["TAGS": "TagA", "UNIQ_KEY": "U2", "CLUSTER": "C", "WAIT": "true"])
}

@Test func setAndRemoveOneKey() {
    var text = "TAGS\u{1}T\u{2}WAIT\u{1}true\u{2}KEYS\u{1}k"
    MessagePropertyCodec.set(MessageProperty.wait, "false", in: &text)
    #expect(text == "TAGS\u{1}T\u{2}KEYS\u{1}k\u{2}WAIT\u{1}false\u{2}")
    MessagePropertyCodec.set(MessageProperty.cluster, "DefaultCluster", in: &text)
    #expect(MessagePropertyCodec.value(of: MessageProperty.cluster, in: text) == "DefaultCluster")
    MessagePropertyCodec.remove(MessageProperty.keys, from: &text)
    #expect(MessagePropertyCodec.decode(text) == ["TAGS": "T", "WAIT": "false", "CLUSTER": "DefaultCluster"])
    var duplicates = "A\u{1}1\u{2}AB\u{1}x\u{2}A\u{1}2"
    MessagePropertyCodec.remove("A", from: &duplicates)
    #expect(duplicates == "AB\u{1}x\u{2}")
    var untouched = "TAGS\u{1}T"
    MessagePropertyCodec.remove("WAIT", from: &untouched)
    #expect(untouched == "TAGS\u{1}T")
    var empty = ""
    MessagePropertyCodec.set("K", "v", in: &empty)
    #expect(empty == "K\u{1}v\u{2}")
}

/// The broker's one-pass edit of every stored message (drop WAIT, add CLUSTER) leaves what `remove` then `append` did.
@Test func replacingEqualsRemoveThenAppend() {
    let cases = ["UNIQ_KEY\u{1}U\u{2}WAIT\u{1}true\u{2}TAGS\u{1}T\u{2}", "WAIT\u{1}true", "WAIT\u{1}true\u{2}", "",
                 "TAGS\u{1}T", "WAIT\u{1}a\u{2}WAITX\u{1}b\u{2}WAIT\u{1}c", "\u{2}\u{2}WAIT\u{1}x", "K\u{1}é\u{2}WAIT\u{1}true"]
    for sent in cases {
        var expected = sent
        MessagePropertyCodec.remove(MessageProperty.wait, from: &expected)
        MessagePropertyCodec.append(MessageProperty.cluster, "DefaultCluster", to: &expected)
        let (stored, digest) = MessagePropertyCodec.replacing(MessageProperty.wait, appending: MessageProperty.cluster, "DefaultCluster",
                                                              in: sent)
        #expect(stored == expected)
        #expect(digest == PropertyDigest(expected), "\(sent.debugDescription)")
    }
    #expect(MessagePropertyCodec.replacing("WAIT", appending: "CLUSTER", "C", in: "TAGS\u{1}T\u{2}WAIT\u{1}true").properties
            == "TAGS\u{1}T\u{2}CLUSTER\u{1}C")
}

/// Properties handed over as a binary header's bytes are rewritten to exactly what their string would give, ASCII
/// or not, valid UTF-8 or not.
@Test func replacingBytesEqualsReplacingTheirString() {
    let cases: [[UInt8]] = [
        Array("UNIQ_KEY\u{1}U\u{2}WAIT\u{1}true\u{2}TAGS\u{1}T\u{2}".utf8), [], Array("WAIT\u{1}true".utf8),
        Array("TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}WAIT\u{1}false\u{2}0123456789abcdef".utf8),
        Array("K\u{1}é\u{2}WAIT\u{1}true\u{2}TAGS\u{1}主题\u{2}".utf8),
        Array("TAGS\u{1}T".utf8) + [0xFF, 0xC3] + Array("\u{2}WAIT\u{1}true".utf8),  // invalid UTF-8 in the tags
        Array("A\u{1}".utf8) + [0xE4, 0xB8] + Array("\u{2}WAIT\u{1}t".utf8) + [0x80] + Array("\u{2}B\u{1}".utf8) + [0xF0],
        Array("WA".utf8) + [0xC3] + Array("IT\u{1}true\u{2}TAGS\u{1}".utf8) + [0xE2, 0x82],  // a broken name stays
    ]
    for bytes in cases {
        let fromBytes = MessagePropertyCodec.replacing(MessageProperty.wait, appending: MessageProperty.cluster, "DefaultCluster",
                                                       in: PropertyText.bytes(ByteBuffer(bytes: bytes)))
        let fromString = MessagePropertyCodec.replacing(MessageProperty.wait, appending: MessageProperty.cluster, "DefaultCluster",
                                                        in: String(decoding: bytes, as: UTF8.self))
        #expect(fromBytes.properties == fromString.properties, "\(bytes)")
        #expect(fromBytes.digest == fromString.digest, "\(bytes)")
    }
}

@Test func propertyTextIsEqualByItsBytes() {
    let text = "TAGS\u{1}T\u{2}"
    #expect(PropertyText.string(text) == .bytes(ByteBuffer(string: text)))
    #expect(PropertyText.string(text) != .bytes(ByteBuffer(string: text + "x")))
    #expect(PropertyText.bytes(ByteBuffer(string: text)).string == text)
    #expect(PropertyText.string("").isEmpty && PropertyText.bytes(ByteBuffer()).isEmpty)
}

/// A producer's properties, written in one piece, read back pair by pair.
@Test func producerPropertiesEncodeEveryPair() {
    let text = MessagePropertyCodec.encode(uniqueKey: "7F0000010001", tags: "TagA", keys: "k1 k2",
                                           sortedOtherPairs: [(key: "a", value: "é"), (key: "b", value: "")])
    #expect(text == "UNIQ_KEY\u{1}7F0000010001\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}a\u{1}é\u{2}b\u{1}\u{2}")
    #expect(MessagePropertyCodec.encode(uniqueKey: "U", tags: nil, keys: nil, sortedOtherPairs: [])
            == MessagePropertyCodec.encode([("UNIQ_KEY", "U"), ("WAIT", "true")]))
    // The bytes the send path writes into the frame are the same, long values included.
    let long = String(repeating: "v", count: 5_000)
    for (tags, keys, others) in [("TagA", "k1 k2", [(key: "a", value: "é"), (key: "b", value: "")]), (nil, nil, []),
                                 (nil, long, [(key: "c", value: long)])] as [(String?, String?, [(key: String, value: String)])] {
        var key = "7F0000010001"
        let bytes = key.withUTF8 { key in
            let length = MessagePropertyCodec.producedLength(uniqueKeyLength: key.count, tags: tags, keys: keys, sortedOtherPairs: others)
            return [UInt8](unsafeUninitializedCapacity: length) { out, count in
                count = MessagePropertyCodec.writeProduced(uniqueKey: UnsafeRawBufferPointer(key), tags: tags, keys: keys,
                                                           sortedOtherPairs: others, into: UnsafeMutableRawBufferPointer(out))
            }
        }
        #expect(String(decoding: bytes, as: UTF8.self)
                == MessagePropertyCodec.encode(uniqueKey: key, tags: tags, keys: keys, sortedOtherPairs: others))
    }
}
