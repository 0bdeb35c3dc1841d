package io.nftpolicy.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that runs on the real kernel (network namespaces, nftables, veth, bridges): tagged {@code kernel}, and run
 * only as root. Elsewhere it is skipped, and {@link SkippedKernelTests} says at the end of the run how many were.
 */
@Inherited // the subclasses of a kernel test base class (e.g. PolicyLabTest) are kernel tests too
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(KernelTest.TAG)
@ExtendWith(KernelTestCondition.class)
public @interface KernelTest {
    String TAG = "kernel";
}
