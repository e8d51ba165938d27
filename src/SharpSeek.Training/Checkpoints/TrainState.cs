// Save and exact resume of a training run: step, the data generator's state, every parameter's
// fp32 master with its AdamW moments, the hash tables and the MoE gate biases (they are
// parameters). One file, written atomically (temp + fsync + rename), ending in an FNV-1a checksum of
// everything before it, so a truncated or altered file is rejected with a clear message.
using System.Text;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Training.Modeling;
using SharpSeek.Training.Optim;

namespace SharpSeek.Training.Checkpoints;

public sealed class CheckpointException(string message) : IOException(message);

public static class TrainState
{
    private const string Magic = "SSTRAIN1";
    public const string FileName = "train_state.bin";

    public static void Save(string path, long step, ulong dataState, long tokens, ParameterSet p, AdamW opt)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(step); w.Write(dataState); w.Write(tokens); w.Write(opt.Step);
            w.Write(p.All.Count);
            for (int k = 0; k < p.All.Count; k++)
            {
                Parameter q = p.All[k];
                w.Write(q.Name); w.Write(q.Master.Length);
                WriteFloats(w, q.Master); WriteFloats(w, opt.M[k]); WriteFloats(w, opt.V[k]);
            }
            w.Write(p.Tables.Count);
            foreach (var (name, t) in p.Tables.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                w.Write(name); w.Write(t.Length);
                foreach (int v in t) w.Write(v);
            }
        }
        ulong sum = Fnv(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        ms.Write(BitConverter.GetBytes(sum));
        // Temp file, fsync, rename: a kill at any point leaves the previous state file intact.
        AtomicFile.Write(path, fs => fs.Write(ms.GetBuffer(), 0, (int)ms.Length));
    }

    /// <summary>Restores masters, moments and tables into p/opt; returns (step, data state, tokens).</summary>
    public static (long Step, ulong DataState, long Tokens) Load(string path, ParameterSet p, AdamW opt)
    {
        if (!File.Exists(path)) throw new CheckpointException($"cannot resume: '{path}' does not exist");
        byte[] all = File.ReadAllBytes(path);
        if (all.Length < Magic.Length + 8 || Encoding.ASCII.GetString(all, 0, Magic.Length) != Magic)
            throw new CheckpointException($"cannot resume: '{path}' is not a SharpSeek training checkpoint");
        ulong stored = BitConverter.ToUInt64(all, all.Length - 8);
        if (Fnv(all.AsSpan(0, all.Length - 8)) != stored)
            throw new CheckpointException($"cannot resume: '{path}' is corrupt (checksum mismatch; the file was truncated or modified)");
        using var r = new BinaryReader(new MemoryStream(all, Magic.Length, all.Length - 8 - Magic.Length));
        long step = r.ReadInt64(); ulong data = r.ReadUInt64(); long tokens = r.ReadInt64(); opt.Step = r.ReadInt64();
        int n = r.ReadInt32();
        if (n != p.All.Count) throw new CheckpointException($"cannot resume: '{path}' holds {n} parameters, this geometry has {p.All.Count} (different config?)");
        for (int k = 0; k < n; k++)
        {
            Parameter q = p.All[k];
            string name = r.ReadString(); int len = r.ReadInt32();
            if (name != q.Name || len != q.Master.Length)
                throw new CheckpointException($"cannot resume: '{path}' has {name} [{len}] where this geometry has {q.Name} [{q.Master.Length}]");
            ReadFloats(r, q.Master); ReadFloats(r, opt.M[k]); ReadFloats(r, opt.V[k]);
        }
        int tables = r.ReadInt32();
        for (int i = 0; i < tables; i++)
        {
            string name = r.ReadString(); int len = r.ReadInt32();
            int[] t = p.Table(name);
            if (t.Length != len) throw new CheckpointException($"cannot resume: table {name} has {len} entries, expected {t.Length}");
            for (int j = 0; j < len; j++) t[j] = r.ReadInt32();
        }
        p.RefreshAll();
        return (step, data, tokens);
    }

    private static void WriteFloats(BinaryWriter w, float[] x)
    {
        var b = new byte[x.Length * 4];
        Buffer.BlockCopy(x, 0, b, 0, b.Length);
        w.Write(b);
    }

    private static void ReadFloats(BinaryReader r, float[] x)
    {
        byte[] b = r.ReadBytes(x.Length * 4);
        if (b.Length != x.Length * 4) throw new CheckpointException("cannot resume: checkpoint ends early");
        Buffer.BlockCopy(b, 0, x, 0, b.Length);
    }

    private static ulong Fnv(ReadOnlySpan<byte> data)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in data) { h ^= b; h *= 1099511628211UL; }
        return h;
    }
}
