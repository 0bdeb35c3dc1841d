package io.nftpolicy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    private static IpRange range(String first, String last) {
        return new IpRange(IpAddress.parse(first), IpAddress.parse(last));
    }

    @Test
    void parsesAnIpv4Cidr() {
        assertThat(Cidr.parse("10.0.0.0/8")).isEqualTo(range("10.0.0.0", "10.255.255.255"));
    }

    @Test
    void parsesAnIpv6Cidr() {
        assertThat(Cidr.parse("2001:db8::/32")).isEqualTo(range("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    }

    @Test
    void masksHostBitsAsTheApiServerAcceptsThem() {
        assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.parse("2001:db8::1/64")).isEqualTo(range("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"));
    }

    @Test
    void aFullLengthPrefixIsOneAddress() {
        assertThat(Cidr.parse("192.168.1.1/32")).isEqualTo(IpRange.single(IpAddress.parse("192.168.1.1")));
        assertThat(Cidr.parse("::1/128")).isEqualTo(IpRange.single(IpAddress.parse("::1")));
    }

    @Test
    void aZeroLengthPrefixIsTheWholeFamily() {
        assertThat(Cidr.parse("0.0.0.0/0")).isEqualTo(IpRange.all(IpFamily.IPV4));
        assertThat(Cidr.parse("::/0")).isEqualTo(IpRange.all(IpFamily.IPV6));
    }

    @Test
    void theLengthLimitDependsOnTheFamily() {
        assertThat(Cidr.parse("2001:db8::/64").prefixLength()).isEqualTo(64);
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/64")).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0", "2001:db8::", "10.0.0.0/", "10.0.0.0/abc", "10.0.0.0/-1", "10.0.0.0/ 8",
            "10.0.0.0/8/9", "10.0.0.0/1000", "10.0.0.0/33", "10.0.0.0/99", "2001:db8::/129", "::/999", "localhost/8",
            "10.0.0/8", "256.0.0.0/8", "/8"})
    void rejectsTextThatIsNoCidrAndNamesIt(String text) {
        assertThatThrownBy(() -> Cidr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }

    @Test
    void aMissingSlashSaysWhatWasExpected() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0"))
                .hasMessageContaining("\"10.0.0.0\"")
                .hasMessageContaining("address/prefix-length");
    }

    @Test
    void aTooLongPrefixSaysTheFamilyLimit() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("32");
        assertThatThrownBy(() -> Cidr.parse("2001:db8::/129")).hasMessageContaining("128");
    }

    @Test
    void rejectsEmptyText() {
        assertThatThrownBy(() -> Cidr.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse("   ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
