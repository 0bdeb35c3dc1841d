package io.nftpolicy.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import java.util.List;
import org.junit.jupiter.api.Test;

class RangesTest {

    private static IpRange range(String first, String last) {
        return new IpRange(IpAddress.parse(first), IpAddress.parse(last));
    }

    @Test
    void overlappingAndAdjacentRangesJoinAndGapsStay() {
        assertThat(Ranges.merge(List.of(Cidr.parse("10.0.1.0/24"), Cidr.parse("10.0.0.0/24"),
                Cidr.parse("10.0.0.128/25"), Cidr.parse("10.0.3.0/24"))))
                .containsExactly(range("10.0.0.0", "10.0.1.255"), range("10.0.3.0", "10.0.3.255"));
    }

    @Test
    void familiesStayApartIpv4First() {
        assertThat(Ranges.merge(List.of(Cidr.parse("fd00::/64"), Cidr.parse("255.255.255.0/24"),
                Cidr.parse("::/0"), Cidr.parse("0.0.0.0/1"))))
                .containsExactly(range("0.0.0.0", "127.255.255.255"), range("255.255.255.0", "255.255.255.255"),
                        range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    }
}
