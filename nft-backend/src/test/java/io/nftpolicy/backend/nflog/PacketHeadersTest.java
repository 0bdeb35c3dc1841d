package io.nftpolicy.backend.nflog;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.net.IpAddress;
import java.util.HexFormat;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Addresses, protocol and ports of logged packets. */
class PacketHeadersTest {
    private static byte[] capturedPayload() {
        return ((NflogMessages.Packet) NflogMessages.decode(NflogMessagesTest.CAPTURED,
                NflogMessagesTest.CAPTURED.length).get(0)).packet().payload();
    }

    @Test
    void aCapturedTcpSynGivesItsAddressesAndPorts() {
        PacketHeaders h = PacketHeaders.decode(capturedPayload()).orElseThrow();

        assertThat(h).isEqualTo(new PacketHeaders(IpAddress.parse("10.244.1.10"), IpAddress.parse("10.244.1.11"), 6,
                OptionalInt.of(50074), OptionalInt.of(80)));
        assertThat(h.protocolName()).isEqualTo("TCP");
    }

    @Test
    void anIpv6UdpDatagramAfterAHopByHopHeaderGivesItsPorts() {
        // IPv6, next header 0 (hop-by-hop, 8 bytes, next 17), then UDP 5353 -> 53
        byte[] packet = HexFormat.of().parseHex("60000000" + "0010" + "00" + "40"
                + "fd000000000000000000000000000001" + "fd000000000000000000000000000002"
                + "1100000000000000" + "14e90035" + "00080000");

        PacketHeaders h = PacketHeaders.decode(packet).orElseThrow();

        assertThat(h.source()).isEqualTo(IpAddress.parse("fd00::1"));
        assertThat(h.destination()).isEqualTo(IpAddress.parse("fd00::2"));
        assertThat(h.protocolName()).isEqualTo("UDP");
        assertThat(h.destinationPort()).hasValue(53);
    }

    @Test
    void icmpHasNoPorts() {
        byte[] packet = capturedPayload();
        packet[9] = 1;

        PacketHeaders h = PacketHeaders.decode(packet).orElseThrow();

        assertThat(h.protocolName()).isEqualTo("ICMP");
        assertThat(h.destinationPort()).isEmpty();
    }

    @Test
    void aPacketCutBeforeItsPortsStillGivesItsAddresses() {
        byte[] cut = java.util.Arrays.copyOf(capturedPayload(), 22);

        PacketHeaders h = PacketHeaders.decode(cut).orElseThrow();

        assertThat(h.destination()).isEqualTo(IpAddress.parse("10.244.1.11"));
        assertThat(h.sourcePort()).isEmpty();
    }

    @Test
    void somethingThatIsNotAnIpPacketGivesNothing() {
        assertThat(PacketHeaders.decode(new byte[] {0x10, 0, 0})).isEmpty();
        assertThat(PacketHeaders.decode(new byte[0])).isEmpty();
    }
}
