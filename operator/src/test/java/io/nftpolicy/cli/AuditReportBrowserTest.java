package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The audit report ({@code explain --all -o html}) in headless Chromium: Debian's chromium and chromium-driver,
 * which bin/setup installs. Clicking a cell shows its trace; the screenshot is left in target/audit-report/.
 */
class AuditReportBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path OUT = Path.of("target", "audit-report");

    private static ChromeDriver browser;
    private static Path page;

    @BeforeAll
    static void writeThePageAndStartChromium() throws Exception {
        assertThat(CHROMIUM).as("Debian's chromium: run bin/setup (as root)").isExecutable();
        assertThat(CHROMEDRIVER).as("Debian's chromium-driver: run bin/setup (as root)").isExecutable();
        Files.createDirectories(OUT);
        page = OUT.resolve("demo.html").toAbsolutePath();
        Result result = Cli.system().run("explain", "-i", Path.of("..", "samples", "demo", "cluster.yaml").toString(),
                "--all", "-p", "6379,5978", "-o", "html", "--output-file", page.toString());
        assertThat(result.exitCode()).as(result.err()).isZero();

        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                // no sandbox: the tests run as root, where Chromium's sandbox refuses to start
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(2));
    }

    @AfterAll
    static void stopChromium() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void clickingACellShowsItsTraceAndTheScreenshotIsSaved() throws Exception {
        browser.get(page.toUri().toString());
        WebElement cell = browser.findElement(
                By.cssSelector("a[title='dev/frontend -> dev/db TCP/6379 IPv4: allowed']"));
        WebElement trace = browser.findElement(By.id(cell.getAttribute("href").replaceAll(".*#", "")));
        assertThat(trace.isDisplayed()).as("hidden before the click").isFalse();

        cell.click();

        assertThat(trace.isDisplayed()).isTrue();
        assertThat(trace.getText()).contains("dev/frontend -> dev/db TCP/6379 IPv4: allowed")
                .contains("accept: ingress of dev/db allowed by dev/test-network-policy ingress[0].from[2]")
                .contains("chain ing-e2d199a7-dev_test-network-policy");
        File screenshot = browser.getScreenshotAs(OutputType.FILE);
        Path saved = OUT.resolve("trace.png");
        Files.copy(screenshot.toPath(), saved, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(saved)).isPositive();

        trace.findElement(By.className("close")).click();
        assertThat(trace.isDisplayed()).as("closed").isFalse();
    }

    @Test
    void aDeniedCellIsRedAndItsTraceLinksToThePolicyThatIsolatesThePod() {
        browser.get(page.toUri().toString());
        WebElement cell = browser.findElement(
                By.cssSelector("a[title='dev/backend -> dev/db TCP/6379 IPv4: denied']"));
        assertThat(cell.findElement(By.xpath("..")).getCssValue("background-color"))
                .isEqualTo("rgba(244, 182, 182, 1)");

        cell.click();
        WebElement trace = browser.findElement(By.id(cell.getAttribute("href").replaceAll(".*#", "")));
        assertThat(trace.getText()).contains("drop: dev/db is isolated for ingress by dev/test-network-policy");
        trace.findElement(By.linkText("dev/test-network-policy")).click();

        WebElement policy = browser.findElement(By.cssSelector(":target"));
        assertThat(policy.getText()).isEqualTo("dev/test-network-policy");
        assertThat(browser.findElement(By.id("policies")).getText())
                .contains("isolated for ingress by dev/test-network-policy");
    }
}
