// The HTTP front door (issue 9) is built here; this file only anchors the module until then.
package enum CompressionAPI {}
