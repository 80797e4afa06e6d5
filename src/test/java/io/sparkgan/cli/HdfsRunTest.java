package io.sparkgan.cli;

import io.sparkgan.TestHdfs;
import io.sparkgan.io.Storage;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * prepare → train → resume → fid with data.shards and output.dir on hdfs://, against an in-process
 * HDFS (a MiniDFSCluster: one NameNode, one DataNode, storage in the test's temporary directory).
 * The commands need no settings: an hdfs://host:port URI says everything.
 */
class HdfsRunTest extends RemoteFileSystemRuns {
    private MiniDFSCluster cluster;

    @Override
    String startFileSystem(Path workDir) throws Exception {
        cluster = TestHdfs.start(workDir.resolve("hdfs"), 0);
        return cluster.getURI() + "/sparkgan";
    }

    @Override
    void stopFileSystem() {
        if (cluster != null) {
            cluster.shutdown(true);
        }
    }

    @Override
    List<String> filesystemOptions() {
        return List.of();
    }

    @Override
    Storage storage() {
        return new Storage(new Configuration());
    }
}
