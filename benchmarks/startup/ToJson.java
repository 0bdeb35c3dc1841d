import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import org.yaml.snakeyaml.LoaderOptions;

/** The same snapshot as JSON, as {@code kubectl get -o json} gives it: {@code java -cp nftpolicy.jar ToJson.java IN OUT}. */
public class ToJson {
    public static void main(String[] args) throws Exception {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(Integer.MAX_VALUE);
        JsonNode tree = new ObjectMapper(YAMLFactory.builder().loaderOptions(options).build()).readTree(new File(args[0]));
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(new File(args[1]), tree);
    }
}
