// A training run: the tokenizer (trained once per output directory), the parameters, AdamW, the
// batcher; each step builds the loss on a fresh tape, backpropagates, clips, updates, refreshes
// the quantised views and nudges the MoE gate biases (auxiliary-loss-free balancing). Saves the
// resumable state and an exported model every SaveEvery steps and at the end.
using System.Diagnostics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Tokenization;
using SharpSeek.Training.Autograd;
using SharpSeek.Training.Checkpoints;
using SharpSeek.Training.Data;
using SharpSeek.Training.Export;
using SharpSeek.Training.Modeling;
using SharpSeek.Training.Optim;

namespace SharpSeek.Training;

public sealed record StepReport(long Step, long TotalSteps, StepLosses Losses, double GradNorm, float Lr, long Tokens, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Eta);

public sealed class Trainer
{
    private readonly string _out;
    private readonly string _configJson;
    private readonly TrainOptions _o;
    private readonly ParameterSet _p;
    private readonly V4Graph _graph;
    private readonly AdamW _opt;
    private readonly Batcher _batcher;
    private long _step, _tokens;

    public ModelConfig Config { get; }
    public ParameterSet Parameters => _p;
    public long Step => _step;
    public string TokenizerPath => Path.Combine(_out, "tokenizer.json");
    public string StatePath => Path.Combine(_out, "checkpoint", TrainState.FileName);

    public Trainer(string configJson, TrainOptions options, string outDir, bool resume)
    {
        _out = outDir; _configJson = configJson; _o = options;
        Config = ModelConfigParser.Parse(configJson, "training config");
        Validate(Config, options);
        EnsureWritable(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), configJson);
        if (!File.Exists(TokenizerPath))
        {
            if (resume) throw new CheckpointException($"cannot resume: '{TokenizerPath}' is missing");
            TokenizerBuilder.Build(TokenizerPath, options.TokenizerVocab, options.Seed, options.TokenizerSamples);
        }
        Tokenizer tok = Tokenizer.Load(TokenizerPath);
        if (tok.VocabSize > Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tok.VocabSize} tokens but vocab_size is {Config.VocabSize}");
        _p = new ParameterSet(Config, options.Seed);
        _graph = new V4Graph(_p) { MtpWeight = options.MtpWeight, IndexerWeight = options.IndexerWeight };
        _opt = new AdamW(_p.All, new AdamWOptions(options.Lr, WeightDecay: options.WeightDecay, ClipNorm: options.ClipNorm, WarmupSteps: options.WarmupSteps));
        var gen = new CorpusGenerator(options.Seed ^ 0x5EED) { PassKeyChars = options.PassKeyChars, HardKeyShare = options.HardKeyShare, CompareFirst = options.CompareFirst, Mix = options.Mix };
        _batcher = new Batcher(gen, tok, Config.EosTokenId);
        if (resume)
        {
            var (step, data, tokens) = TrainState.Load(StatePath, _p, _opt);
            _step = step; _tokens = tokens; gen.State = data;
            TrimLossLog(step);
        }
    }

    /// <summary>Rejects geometries the trainer cannot run, naming the key.</summary>
    public static void Validate(ModelConfig c, TrainOptions o)
    {
        CheckRowLength(c, "seq_len", o.SeqLen);
        if (o.LongEvery > 0) CheckRowLength(c, "long_seq_len", o.LongSeqLen);
        if (c.NumMtpLayers > 1) throw new ArgumentException($"num_nextn_predict_layers {c.NumMtpLayers}: the trainer supports 0 or 1 MTP block");
        if (o.Steps <= 0 || o.Batch <= 0) throw new ArgumentException("steps and batch must be positive");
        if (o.ExtendSteps < 0) throw new ArgumentException("extend steps must not be negative");
        try { o.Mix.Validate(); o.ExtendMix.Validate(); }
        catch (FormatException e) { throw new ArgumentException($"training mix: {e.Message}", e); }
    }

    /// <summary>A row length the geometry can run: a positive multiple of 16 and of every compress ratio, within max positions.</summary>
    private static void CheckRowLength(ModelConfig c, string name, int len)
    {
        if (len % 16 != 0 || len < 16) throw new ArgumentException($"{name} {len} must be a positive multiple of 16");
        foreach (int r in c.CompressRatios.Where(r => r > 0))
            if (len % r != 0) throw new ArgumentException($"{name} {len} must be a multiple of every compress ratio (found {r})");
        if (c.MaxPositions < len) throw new ArgumentException($"max_position_embeddings {c.MaxPositions} is shorter than {name} {len}");
    }

    private static void EnsureWritable(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            Directory.CreateDirectory(Path.Combine(dir, "checkpoint"));
            // Temp files of a run or export killed mid-write (AtomicFile names them; a live writer's stay).
            AtomicFile.CleanStale(dir);
            AtomicFile.CleanStale(Path.Combine(dir, "checkpoint"));
            string probe = Path.Combine(dir, ".write-probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"output directory '{dir}' is not writable: {e.Message}", e);
        }
    }

    /// <summary>Drops loss.log lines of steps after the checkpoint (a run killed between saves logged steps it will redo).</summary>
    private void TrimLossLog(long step)
    {
        string path = Path.Combine(_out, "loss.log");
        if (!File.Exists(path)) return;
        string[] lines = File.ReadAllLines(path);
        var keep = lines.Where(l => !long.TryParse(l.Split('\t')[0], out long s) || s <= step).ToArray();
        if (keep.Length != lines.Length) File.WriteAllLines(path, keep);
    }

    /// <summary>Runs until options.TotalSteps (or maxSteps more steps); reports after every step.</summary>
    public void Run(Action<StepReport>? report = null, int? maxSteps = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        long startStep = _step, startTokens = _tokens;
        long total = _o.TotalSteps;
        long stop = maxSteps is int m ? Math.Min(total, _step + m) : total;
        using var log = new StreamWriter(Path.Combine(_out, "loss.log"), append: true);
        if (new FileInfo(Path.Combine(_out, "loss.log")).Length == 0) log.WriteLine("step\tloss\tlm\tmtp\tindexer\tgrad_norm\tlr\ttokens\ttokens_per_s");
        while (_step < stop && !cancel.IsCancellationRequested)
        {
            StepLosses losses = TrainStep(out double norm, out float lr);
            double secs = clock.Elapsed.TotalSeconds;
            double tps = (_tokens - startTokens) / Math.Max(1e-9, secs);
            var eta = TimeSpan.FromSeconds(secs / (_step - startStep) * (total - _step));
            log.WriteLine($"{_step}\t{losses.Total:F5}\t{losses.Lm:F5}\t{losses.Mtp:F5}\t{losses.Indexer:F5}\t{norm:F4}\t{lr:E3}\t{_tokens}\t{tps:F1}");
            log.Flush();
            report?.Invoke(new StepReport(_step, total, losses, norm, lr, _tokens, tps, clock.Elapsed, eta));
            if (_step % _o.SaveEvery == 0 || _step == _o.Steps || _step == total) Save();
        }
        if (_step > startStep && _step % _o.SaveEvery != 0 && _step != total && !cancel.IsCancellationRequested) Save();
    }

    /// <summary>One optimisation step; returns its losses (before the update).</summary>
    public StepLosses TrainStep(out double gradNorm, out float lr)
    {
        // the tail after Steps (see TrainOptions.ExtendSteps): its own mix, the longer cosine
        bool tail = _step >= _o.Steps;
        CorpusMix mix = tail ? _o.ExtendMix : _o.Mix;
        if (!ReferenceEquals(_batcher.Generator.Mix, mix)) _batcher.Generator.Mix = mix;   // switch once, not every step
        bool longStep = _o.LongEvery > 0 && _step % _o.LongEvery == _o.LongEvery - 1;
        TrainBatch b = longStep ? _batcher.NextLong(_o.LongSeqLen) : _batcher.Next(_o.Batch, _o.SeqLen);
        _p.ZeroGrad();
        var tape = new Tape();
        var (loss, parts) = _graph.Loss(tape, b);
        tape.Backward(loss);
        lr = AdamW.Schedule(_opt.Options, _step, tail ? _o.TotalSteps : _o.Steps);
        gradNorm = _opt.Update(lr);
        BalanceExperts();
        _p.RefreshAll();
        _step++;
        _tokens += b.Tokens;
        return parts;
    }

    private void BalanceExperts()
    {
        foreach (MoeGraph moe in _graph.Moes)
        {
            if (moe.Bias is not Parameter bias) continue;       // hash layers have no bias to steer
            long[] loads = moe.Loads;
            double mean = loads.Average();
            for (int e = 0; e < loads.Length; e++) bias.Master[e] += _o.BiasUpdateRate * Math.Sign(mean - loads[e]);
        }
    }

    /// <summary>Writes the resumable state and the exported model (config.json, tokenizer.json, safetensors).</summary>
    public void Save()
    {
        TrainState.Save(StatePath, _step, _batcher.Generator.State, _tokens, _p, _opt);
        CheckpointExporter.Export(_p, _configJson, null, _out);
    }
}
