package io.nftpolicy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpRangeTest {

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static IpRange range(String first, String last) {
        return new IpRange(ip(first), ip(last));
    }

    @Test
    void prefixSpansTheWholeAlignedBlock() {
        IpRange r = IpRange.prefix(ip("10.1.0.0"), 16);

        assertThat(r.first()).isEqualTo(ip("10.1.0.0"));
        assertThat(r.last()).isEqualTo(ip("10.1.255.255"));
    }

    @Test
    void prefixIgnoresHostBitsOfTheAddress() {
        assertThat(IpRange.prefix(ip("10.1.2.3"), 16)).isEqualTo(range("10.1.0.0", "10.1.255.255"));
    }

    @Test
    void ipv6PrefixSpansTheWholeAlignedBlock() {
        assertThat(IpRange.prefix(ip("2001:db8:1:2::5"), 32))
                .isEqualTo(range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    }

    @Test
    void prefixOfFullLengthIsTheAddressAlone() {
        assertThat(IpRange.prefix(ip("10.0.0.7"), 32)).isEqualTo(IpRange.single(ip("10.0.0.7")));
    }

    @Test
    void prefixRejectsALengthLongerThanTheFamily() {
        assertThatThrownBy(() -> IpRange.prefix(ip("10.0.0.0"), 33)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IpRange.prefix(ip("::"), 129)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void prefixRejectsANegativeLength() {
        assertThatThrownBy(() -> IpRange.prefix(ip("10.0.0.0"), -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void prefixLengthOfAnAlignedBlock() {
        assertThat(range("172.17.0.0", "172.17.255.255").prefixLength()).isEqualTo(16);
        assertThat(range("10.0.0.4", "10.0.0.7").prefixLength()).isEqualTo(30);
        assertThat(range("2001:db8::", "2001:db8::ffff").prefixLength()).isEqualTo(112);
    }

    @Test
    void prefixLengthOfOneAddressIsTheFamilyWidth() {
        assertThat(IpRange.single(ip("10.0.0.1")).prefixLength()).isEqualTo(32);
        assertThat(IpRange.single(ip("::1")).prefixLength()).isEqualTo(128);
    }

    @Test
    void prefixLengthOfAPowerOfTwoSizedButUnalignedRangeIsMinusOne() {
        assertThat(range("10.0.0.2", "10.0.0.5").prefixLength()).isEqualTo(-1);
    }

    @Test
    void prefixLengthOfARangeWhoseSizeIsNoPowerOfTwoIsMinusOne() {
        assertThat(range("10.0.0.0", "10.0.0.2").prefixLength()).isEqualTo(-1);
    }

    @Test
    void toNftPrintsOneAddressBare() {
        assertThat(IpRange.single(ip("10.0.0.1")).toNft()).isEqualTo("10.0.0.1");
        assertThat(IpRange.prefix(ip("fe80::1"), 128).toNft()).isEqualTo("fe80::1");
    }

    @Test
    void toNftPrintsAnAlignedBlockAsAPrefix() {
        assertThat(range("10.1.0.0", "10.1.255.255").toNft()).isEqualTo("10.1.0.0/16");
        assertThat(range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff").toNft()).isEqualTo("2001:db8::/32");
    }

    @Test
    void toNftPrintsAnyOtherRangeAsFirstDashLast() {
        assertThat(range("10.0.0.1", "10.0.0.6").toNft()).isEqualTo("10.0.0.1-10.0.0.6");
        assertThat(range("172.17.2.0", "172.17.255.255").toNft()).isEqualTo("172.17.2.0-172.17.255.255");
        assertThat(range("2001:db8::1", "2001:db8::2").toNft()).isEqualTo("2001:db8::1-2001:db8::2");
    }

    @Test
    void toStringIsTheNftSpelling() {
        assertThat(range("10.0.0.1", "10.0.0.6")).hasToString("10.0.0.1-10.0.0.6");
    }

    @Test
    void allIpv4IsZeroSlashZero() {
        IpRange all = IpRange.all(IpFamily.IPV4);

        assertThat(all.first()).isEqualTo(ip("0.0.0.0"));
        assertThat(all.last()).isEqualTo(ip("255.255.255.255"));
        assertThat(all.prefixLength()).isZero();
        assertThat(all.toNft()).isEqualTo("0.0.0.0/0");
    }

    @Test
    void allIpv6IsColonColonSlashZero() {
        IpRange all = IpRange.all(IpFamily.IPV6);

        assertThat(all.first()).isEqualTo(ip("::"));
        assertThat(all.last()).isEqualTo(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertThat(all.toNft()).isEqualTo("::/0");
    }

    @Test
    void containsAnAddressBetweenItsBoundsInclusive() {
        IpRange r = range("10.0.0.10", "10.0.0.20");

        assertThat(r.contains(ip("10.0.0.10"))).isTrue();
        assertThat(r.contains(ip("10.0.0.15"))).isTrue();
        assertThat(r.contains(ip("10.0.0.20"))).isTrue();
        assertThat(r.contains(ip("10.0.0.9"))).isFalse();
        assertThat(r.contains(ip("10.0.0.21"))).isFalse();
    }

    @Test
    void containsARangeOnlyWhenItLiesEntirelyInside() {
        IpRange r = range("10.0.0.10", "10.0.0.20");

        assertThat(r.contains(r)).isTrue();
        assertThat(r.contains(range("10.0.0.11", "10.0.0.19"))).isTrue();
        assertThat(r.contains(range("10.0.0.9", "10.0.0.15"))).isFalse();
        assertThat(r.contains(range("10.0.0.15", "10.0.0.21"))).isFalse();
        assertThat(r.contains(range("10.0.0.1", "10.0.0.30"))).isFalse();
    }

    @Test
    void neverContainsAnythingOfTheOtherFamily() {
        assertThat(IpRange.all(IpFamily.IPV6).contains(ip("10.0.0.1"))).isFalse();
        assertThat(IpRange.all(IpFamily.IPV6).contains(IpRange.all(IpFamily.IPV4))).isFalse();
        assertThat(IpRange.all(IpFamily.IPV4).contains(ip("::1"))).isFalse();
    }

    @Test
    void rejectsARangeThatEndsBeforeItStarts() {
        assertThatThrownBy(() -> range("10.0.0.2", "10.0.0.1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsARangeThatMixesFamilies() {
        assertThatThrownBy(() -> range("10.0.0.1", "::1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rangesOrderByFirstThenLast() {
        assertThat(range("10.0.0.1", "10.0.0.9")).isLessThan(range("10.0.0.2", "10.0.0.3"));
        assertThat(range("10.0.0.1", "10.0.0.3")).isLessThan(range("10.0.0.1", "10.0.0.9"));
    }

    @Test
    void adjacentRangesJoinInARangeSet() {
        RangeSet<IpAddress> set = TreeRangeSet.create(List.of(
                range("10.0.0.0", "10.0.0.127").asRange(), range("10.0.0.128", "10.0.0.255").asRange()));

        assertThat(set.asRanges()).containsExactly(range("10.0.0.0", "10.0.0.255").asRange());
    }

    @Test
    void aRangeEndingAtTheLastAddressOfItsFamilyComesBackFromItsGuavaRange() {
        IpRange tail = range("255.255.255.0", "255.255.255.255");

        assertThat(IpRange.of(tail.asRange(), IpFamily.IPV4)).isEqualTo(tail);
        assertThat(IpRange.of(IpRange.all(IpFamily.IPV6).asRange(), IpFamily.IPV6))
                .isEqualTo(IpRange.all(IpFamily.IPV6));
    }

    @Test
    void aRangeWhoseEndsAreNotClosedOpenIsNoIpRange() {
        assertThatThrownBy(() -> IpRange.of(Range.closed(ip("10.0.0.0"), ip("10.0.0.9")), IpFamily.IPV4))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
