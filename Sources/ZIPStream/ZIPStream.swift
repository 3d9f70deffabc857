// Placeholder so the package builds before this module's first real file lands.
package enum ZIPStreamModule {}
