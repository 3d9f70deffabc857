import Testing

@testable import AWSClients

struct XMLTreeTests {
    @Test func parsesS3StyleDocuments() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bucket</Name>
              <Contents><Key> spaced &amp; &lt;odd&gt; &#x41;&#66; </Key><ETag>&quot;abc&quot;</ETag></Contents>
              <Contents><Key><![CDATA[a<b]]></Key></Contents>
              <Empty/>
              <s3:Prefixed attr='1'>x</s3:Prefixed>
            </ListBucketResult>
            """
        let root = try XMLTree.parse(Array(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.text(of: "Name") == "bucket")
        #expect(root.children("Contents").map { $0.text(of: "Key") } == [" spaced & <odd> AB ", "a<b"])
        #expect(root.children("Contents").first?.text(of: "ETag") == "\"abc\"")
        #expect(root.child("Empty")?.text == "")
        #expect(root.text(of: "Prefixed") == "x")
    }

    @Test(arguments: [
        "",
        "<a>",
        "<a></b>",
        "<a>&unknown;</a>",
        "<a>&#xFFFFFFFF;</a>",
        "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
        "<a><b></a>",
        "<a></a><b></b>",
        "<a x=1></a>",
        "<a>&amp</a>",
    ])
    func refusesMalformedInput(xml: String) {
        #expect(throws: XMLTree.ParseError.self) { try XMLTree.parse(Array(xml.utf8)) }
    }

    @Test func boundsTheNestingDepth() {
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        #expect(throws: XMLTree.ParseError.self) { try XMLTree.parse(Array(deep.utf8)) }
        let fine = String(repeating: "<a>", count: 60) + String(repeating: "</a>", count: 60)
        #expect((try? XMLTree.parse(Array(fine.utf8))) != nil)
    }

    @Test func escapesText() {
        #expect(XMLTree.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;")
    }
}
