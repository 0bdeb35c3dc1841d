package io.nftpolicy.backend.nflog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nfnetlink_log's wire format, against a datagram the kernel sent (DropLogKernelTest's drop, captured). */
class NflogMessagesTest {
    /** Group 4711, prefix "nftpolicy drop ing-5c7c645b", a TCP SYN 10.244.1.10:50074 -> 10.244.1.11:80. */
    static final byte[] CAPTURED = HexFormat.of().parseHex("e400000000040000000000000000000002001267080001000800"
            + "020020000a006e6674706f6c6963792064726f7020696e672d3563376336343562000800040000000002080006000000000308"
            + "0005000000000208000700000000041000080000060000fad8a3af4bde000006000f000001000006001100000e000012001000"
            + "468a43df1403fad8a3af4bde0800000014000300000000006b16225700000000000130e4400009004500003c7f0940004006a3"
            + "b60af4010a0af4010bc39a00505d9ac09c00000000a002fd5c182b0000020405820402080a8954bdfc000000000103030a");

    @Test
    void aCapturedPacketMessageGivesItsGroupPrefixTimeAndPayload() {
        List<NflogMessages.Message> messages = NflogMessages.decode(CAPTURED, CAPTURED.length);

        assertThat(messages).hasSize(1);
        NflogPacket packet = ((NflogMessages.Packet) messages.get(0)).packet();
        assertThat(packet.group()).isEqualTo(4711);
        assertThat(packet.prefix()).isEqualTo("nftpolicy drop ing-5c7c645b");
        assertThat(packet.time()).contains(Instant.ofEpochSecond(0x6b162257L, 0x130e4L * 1000));
        assertThat(packet.payload()).hasSize(60);
        assertThat(packet.payload()[0]).isEqualTo((byte) 0x45);
    }

    @Test
    void anErrorMessageIsTheAnswerToItsRequestWithTheErrno() {
        byte[] ebusy = HexFormat.of().parseHex("24000000020000000700000000000000" + "f0ffffff"
                + "1c000000010401000700000000000000");

        assertThat(NflogMessages.decode(ebusy, ebusy.length)).containsExactly(new NflogMessages.Answer(7, 16));
    }

    @Test
    void theBindRequestCarriesTheGroupInNetworkOrderAndTheBindCommand() {
        byte[] bind = NflogMessages.bind(4711, 3);

        assertThat(HexFormat.of().formatHex(bind)).isEqualTo(
                "1c000000" + "0104" + "0500" + "03000000" + "00000000" + "0000" + "1267" + "0500" + "0100" + "01000000");
    }

    @Test
    void theModeRequestCopiesPacketsAndSendsEachAtOnce() {
        String hex = HexFormat.of().formatHex(NflogMessages.mode(1, 1, 128));

        assertThat(hex.substring(40)).isEqualTo("0a00" + "0200" + "00000080" + "0200" + "0000"
                + "0800" + "0500" + "00000001");
    }

    @Test
    void aLengthPastTheDatagramIsRefusedWithItsOffset() {
        assertThatThrownBy(() -> NflogMessages.decode(CAPTURED, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at offset 0");
    }
}
