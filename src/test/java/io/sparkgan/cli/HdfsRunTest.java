package io.sparkgan.cli;

import io.sparkgan.io.Storage;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * prepare → train → resume → fid with data.shards and output.dir on hdfs://, against an in-process
 * HDFS (a MiniDFSCluster: one NameNode, one DataNode, storage in the test's temporary directory).
 * The commands need no settings: an hdfs://host:port URI says everything.
 */
class HdfsRunTest extends RemoteFileSystemRuns {
    private MiniDFSCluster cluster;

    @Override
    String startFileSystem(Path workDir) throws Exception {
        // The NameNode's and DataNode's own start-up chatter; the commands' logs stay at their levels.
        Configurator.setLevel("org.apache.hadoop.hdfs.server", Level.ERROR);
        Configurator.setLevel("org.apache.hadoop.http", Level.ERROR);
        Configurator.setLevel("org.apache.hadoop.security.authentication", Level.ERROR);
        Configurator.setLevel("org.apache.hadoop.metrics2", Level.ERROR);
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, workDir.resolve("hdfs").toString());
        conf.setInt("dfs.heartbeat.interval", 1);
        conf.setInt("dfs.namenode.heartbeat.recheck-interval", 2000);
        conf.setInt("dfs.replication", 1);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).storagesPerDatanode(1).build();
        cluster.waitActive();
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
