namespace SharpSeek.Runtime;
