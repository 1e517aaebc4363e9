/* egg-migrate sample: markupshim._speedups.escape(s) -> s (unicode) with
 * & < > " ' replaced by HTML entities.
 *
 * On Python 2 it uses the Py_UNICODE API, so the module references
 * PyUnicodeUCS4_* symbols when built by a UCS4 interpreter.
 */
#include <Python.h>

static const char *
entity(Py_UCS4 c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&#34;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static PyObject *
speedups_escape(PyObject *self, PyObject *args)
{
    PyObject *s, *result;
    Py_ssize_t i, j, k, n, extra = 0;

    if (!PyArg_ParseTuple(args, "U:escape", &s))
        return NULL;
#if PY_MAJOR_VERSION >= 3
    {
        Py_UCS4 *src = PyUnicode_AsUCS4Copy(s), *dst;

        if (src == NULL)
            return NULL;
        n = PyUnicode_GetLength(s);
        for (i = 0; i < n; i++)
            if (entity(src[i]))
                extra += strlen(entity(src[i])) - 1;
        dst = PyMem_New(Py_UCS4, n + extra + 1);
        if (dst == NULL) {
            PyMem_Free(src);
            return PyErr_NoMemory();
        }
        for (i = 0, j = 0; i < n; i++) {
            const char *e = entity(src[i]);
            if (e)
                for (k = 0; e[k]; k++)
                    dst[j++] = (Py_UCS4)e[k];
            else
                dst[j++] = src[i];
        }
        result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, dst, j);
        PyMem_Free(src);
        PyMem_Free(dst);
        return result;
    }
#else
    {
        Py_UNICODE *src = PyUnicode_AsUnicode(s), *dst;

        n = PyUnicode_GetSize(s);
        for (i = 0; i < n; i++)
            if (entity(src[i]))
                extra += strlen(entity(src[i])) - 1;
        result = PyUnicode_FromUnicode(NULL, n + extra);
        if (result == NULL)
            return NULL;
        dst = PyUnicode_AsUnicode(result);
        for (i = 0, j = 0; i < n; i++) {
            const char *e = entity(src[i]);
            if (e)
                for (k = 0; e[k]; k++)
                    dst[j++] = (Py_UNICODE)e[k];
            else
                dst[j++] = src[i];
        }
        return result;
    }
#endif
}

static PyMethodDef speedups_methods[] = {
    {"escape", speedups_escape, METH_VARARGS, "escape(s) -> HTML-escaped s"},
    {NULL, NULL, 0, NULL}
};

#if PY_MAJOR_VERSION >= 3
static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "markupshim._speedups", NULL, -1, speedups_methods
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&speedups_module);
}
#else
PyMODINIT_FUNC
init_speedups(void)
{
    Py_InitModule("markupshim._speedups", speedups_methods);
}
#endif
