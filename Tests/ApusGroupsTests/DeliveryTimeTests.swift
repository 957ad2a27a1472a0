// Tests of DeliveryTime's pre-check: which property strings may carry a delay or timer, so that ordinary sends skip
// the schedule lookups and no delayed send is missed.

import ApusGroups
import Testing

@Test func mayApplyFindsEveryScheduleKeyAndOnlyThem() {
    for properties in ["DELAY\u{1}3", "TAGS\u{1}T\u{2}DELAY\u{1}3\u{2}", "TIMER_DELIVER_MS\u{1}1", "A\u{1}b\u{2}TIMER_DELAY_SEC\u{1}5",
                       "__STARTDELIVERTIME\u{1}1700000000000", "UNIQ_KEY\u{1}U\u{2}__STARTDELIVERTIME\u{1}1\u{2}"] {
        #expect(DeliveryTime.mayApply(to: properties), "\(properties.debugDescription)")
    }
    for properties in ["", "TAGS\u{1}DELAY\u{1}3", "DELAYED\u{1}1", "KEYS\u{1}TIMER_x", "__STARTDELIVERTIM\u{1}1", "DELAY",
                       "UNIQ_KEY\u{1}U\u{2}WAIT\u{1}true\u{2}", "TIMER"] {
        #expect(!DeliveryTime.mayApply(to: properties), "\(properties.debugDescription)")
    }
}
