import java.io.File;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.apache.poi.openxml4j.opc.OPCPackage;
import org.apache.poi.openxml4j.opc.PackageAccess;
import org.apache.poi.openxml4j.opc.PackagePart;
import org.apache.poi.openxml4j.opc.PackageRelationship;
import org.apache.poi.openxml4j.opc.PackageRelationshipTypes;
import org.apache.poi.openxml4j.opc.PackagingURIHelper;
import org.apache.poi.openxml4j.opc.internal.PackagePropertiesPart;
import org.xml.sax.Attributes;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Opens each workbook named on the command line with Apache POI's package layer
 * (openxml4j: part names, content types, relationships), parses every XML part with the
 * JDK's namespace-aware SAX parser, follows the workbook's relationships to each sheet
 * and counts its cells. Prints "OK <path> <sheets> <cells>" or "FAIL <path>: <why>".
 * (Debian's POI ships without the generated OOXML schema classes, so XSSFWorkbook
 * cannot be used; this reads the package the way POI's event API does.)
 */
public class OpenWorkbooks {
    static final String MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    static final String RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    public static void main(String[] args) throws Exception {
        SAXParserFactory factory = SAXParserFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        for (String path : args) {
            try (OPCPackage pkg = OPCPackage.open(new File(path), PackageAccess.READ)) {
                for (PackagePart part : pkg.getParts()) {
                    String type = part.getContentType();
                    if (type.endsWith("xml") && !part.isRelationshipPart()
                            && !(part instanceof PackagePropertiesPart)) {
                        parse(factory, part, new DefaultHandler());
                    }
                }
                PackageRelationship doc = pkg.getRelationshipsByType(
                        PackageRelationshipTypes.CORE_DOCUMENT).getRelationship(0);
                PackagePart workbook = pkg.getPart(doc);
                List<String[]> sheets = new ArrayList<>();
                parse(factory, workbook, new DefaultHandler() {
                    @Override
                    public void startElement(String uri, String local, String q, Attributes a) {
                        if (MAIN.equals(uri) && "sheet".equals(local)) {
                            sheets.add(new String[] {a.getValue("name"), a.getValue(RELS, "id")});
                        }
                    }
                });
                long[] cells = {0};
                for (String[] sheet : sheets) {
                    PackageRelationship rel = workbook.getRelationship(sheet[1]);
                    PackagePart part = pkg.getPart(PackagingURIHelper.createPartName(
                            PackagingURIHelper.resolvePartUri(
                                    workbook.getPartName().getURI(), rel.getTargetURI())));
                    if (part == null) {
                        throw new IllegalStateException("sheet " + sheet[0] + " has no part");
                    }
                    parse(factory, part, new DefaultHandler() {
                        @Override
                        public void startElement(String uri, String local, String q, Attributes a) {
                            if (MAIN.equals(uri) && "c".equals(local)) {
                                cells[0]++;
                            }
                        }
                    });
                }
                System.out.println("OK " + path + " " + sheets.size() + " " + cells[0]);
            } catch (Throwable e) {
                System.out.println("FAIL " + path + ": " + String.valueOf(e).replace('\n', ' '));
            }
        }
    }

    static void parse(SAXParserFactory factory, PackagePart part, DefaultHandler handler)
            throws Exception {
        SAXParser parser = factory.newSAXParser();
        try (InputStream in = part.getInputStream()) {
            parser.parse(in, handler);
        } catch (org.xml.sax.SAXException e) {
            throw new IllegalStateException(part.getPartName() + ": " + e.getMessage(), e);
        }
    }
}
