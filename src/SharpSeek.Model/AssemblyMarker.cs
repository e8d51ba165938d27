namespace SharpSeek.Model;
